package jsonstrings

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decode reads a JSON array of strings as json.Unmarshal reads it into a
// []string: the same strings (nil for null, empty for []), or an error
// where it refuses the value. The array json.Marshal writes for a
// []string is read by parse, without encoding/json's reflection, which
// was most of the allocations of a request that reads one (auth's roles,
// read from the session on every request); anything else (white space,
// null, a surrogate pair, a malformed value) goes to json.Unmarshal, so
// that what is accepted and refused, and the strings read, stay
// encoding/json's.
func Decode(s string) ([]string, error) {
	if roles, ok := parse(s); ok {
		return roles, nil
	}
	var roles []string
	if err := json.Unmarshal([]byte(s), &roles); err != nil {
		return nil, err
	}
	return roles, nil
}

// parse is Decode's fast path. It reads an array with no white
// space of strings cutString reads, and reports false for anything else,
// valid JSON or not: it never reads a value otherwise than json.Unmarshal.
func parse(s string) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return []string{}, true // as json.Unmarshal: empty, not nil
	}
	// Commas inside the strings make this an upper bound, never too few.
	roles := make([]string, 0, strings.Count(body, ",")+1)
	for {
		role, rest, ok := cutString(body)
		if !ok {
			return nil, false
		}
		roles = append(roles, role)
		if rest == "" {
			return roles, true
		}
		if rest[0] != ',' {
			return nil, false
		}
		body = rest[1:]
	}
}

// cutString reads the JSON string at the start of s, and returns its value
// and the rest of s. A string without escapes is its own bytes (a
// substring of s, no copy). Escapes are left to strconv.Unquote only where
// Go reads them as JSON does: \" \\ \b \f \n \r \t, and \u with four hex
// digits, which strconv refuses for a surrogate (JSON pairs those or
// makes them U+FFFD). cutString reports false, for json.Unmarshal to
// decide, on any other escape (\/ included, which strconv refuses), on a
// control character (which JSON refuses and strconv may not), and on
// invalid UTF-8 (which JSON makes U+FFFD, byte by byte).
func cutString(s string) (v, rest string, ok bool) {
	if s == "" || s[0] != '"' {
		return "", "", false
	}
	escaped := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted := s[:i+1]
			if !utf8.ValidString(quoted) {
				return "", "", false
			}
			if !escaped {
				return s[1:i], s[i+1:], true
			}
			v, err := strconv.Unquote(quoted)
			if err != nil {
				return "", "", false
			}
			return v, s[i+1:], true
		case c < 0x20:
			return "", "", false
		case c == '\\':
			escaped = true
			if i+1 == len(s) {
				return "", "", false
			}
			i++
			switch s[i] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) {
					return "", "", false
				}
				i += 4
			default:
				return "", "", false
			}
		}
	}
	return "", "", false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
