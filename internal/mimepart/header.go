package mimepart

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
)

// parseHeader parses a part's header section, its closing blank line
// excluded, by net/textproto's rules (ReadMIMEHeader), which
// mime/multipart uses: lines end in CRLF or LF; a line starting with a
// blank continues the one before, joined by one space; the first line may
// not start with one; a field name is token characters or spaces (a name
// with a space is kept as it is, not canonicalized); a value may hold no
// control character but tab.
func parseHeader(sec []byte) (textproto.MIMEHeader, error) {
	h := make(textproto.MIMEHeader)
	if len(sec) == 0 {
		return h, nil
	}
	if sec[0] == ' ' || sec[0] == '\t' {
		return nil, errors.New("header starts with a blank")
	}
	var kv []byte
	for len(sec) > 0 {
		line := nextLine(&sec)
		if bytes.IndexByte(line, ':') < 0 {
			return nil, fmt.Errorf("header line without a colon: %.40q", line)
		}
		kv = append(kv[:0], trimBlanks(line)...)
		for len(sec) > 0 && (sec[0] == ' ' || sec[0] == '\t') {
			cont := nextLine(&sec)
			kv = append(append(kv, ' '), trimBlanks(cont)...)
		}
		k, v, _ := bytes.Cut(kv, []byte(":"))
		if !validName(k) {
			return nil, fmt.Errorf("malformed header name %.40q", k)
		}
		for _, c := range v {
			if c < ' ' && c != '\t' || c == 0x7f {
				return nil, fmt.Errorf("malformed header value %.40q", v)
			}
		}
		key := textproto.CanonicalMIMEHeaderKey(string(k))
		h[key] = append(h[key], string(bytes.TrimLeft(v, " \t")))
	}
	return h, nil
}

// nextLine returns the next line of *sec without its line break (LF, or
// the CRLF it ends with) and advances *sec past it.
func nextLine(sec *[]byte) []byte {
	s := *sec
	i := bytes.IndexByte(s, '\n')
	if i < 0 {
		*sec = nil
		return s
	}
	*sec = s[i+1:]
	line := s[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

func trimBlanks(b []byte) []byte {
	b = skipBlanks(b)
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// validName reports whether k is a field name textproto accepts: token
// characters, or spaces, which it keeps without canonicalizing.
func validName(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if c >= 0x80 || !isToken[c] && c != ' ' {
			return false
		}
	}
	return true
}

// isToken marks the token characters of RFC 9110.
var isToken = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
