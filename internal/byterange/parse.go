package byterange

import (
	"errors"
	"strings"
)

// The errors Parse returns.
var (
	// ErrMalformed is a header that is not a byte ranges-specifier: another
	// unit, a missing '=', a range-spec that is not digits and '-', or a
	// last-pos before its first-pos. RFC 9110 lets a server ignore it.
	ErrMalformed = errors.New("byterange: malformed Range header")
	// ErrUnsatisfiable is a well-formed header none of whose ranges
	// overlaps the representation: a 416 with "Content-Range: bytes */size".
	ErrUnsatisfiable = errors.New("byterange: no satisfiable range")
)

// Range is one satisfiable byte range: Length bytes from Start. Length is
// at least 1 and Start+Length is at most the size given to Parse.
type Range struct {
	Start, Length int64
}

// ContentRange returns the Content-Range field value of r for a
// representation of size bytes: "bytes 0-99/1000".
func (r Range) ContentRange(size int64) string {
	b := make([]byte, 0, 48)
	b = append(b, "bytes "...)
	b = appendInt(b, r.Start)
	b = append(b, '-')
	b = appendInt(b, r.Start+r.Length-1)
	b = append(b, '/')
	b = appendInt(b, size)
	return string(b)
}

// Unsatisfied returns the Content-Range field value of a 416 answer for a
// representation of size bytes: "bytes */1000".
func Unsatisfied(size int64) string {
	return string(appendInt([]byte("bytes */"), size))
}

func appendInt(b []byte, n int64) []byte {
	if n == 0 {
		return append(b, '0')
	}
	var d [20]byte
	i := len(d)
	for n > 0 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[i:]...)
}

// Parse returns the satisfiable ranges of the Range field value h for a
// representation of size bytes (size >= 0), in the order the header lists
// them; unsatisfiable ones are dropped, as RFC 9110 §14.1.1 says. A
// first-pos at or past size is unsatisfiable, whatever follows it (as in
// net/http: "bytes=50-30" on 10 bytes is unsatisfiable, on 100 bytes
// malformed); a last-pos past the end, or a
// suffix longer than the representation, is cut to the end; a suffix of
// length 0 is unsatisfiable. Numbers too large for an int64 are treated as
// what they are, larger than any size. Ranges are neither sorted nor
// coalesced: overlapping and many ranges are the caller's policy.
//
// It returns ErrMalformed for a header that does not parse (including one
// with no range-spec at all) and ErrUnsatisfiable when it parses but no
// range overlaps the representation (always so when size is 0).
//
// Any goroutine may call Parse.
func Parse(h string, size int64) ([]Range, error) {
	unit, set, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return nil, ErrMalformed
	}
	var ranges []Range
	specs := 0
	for set != "" {
		var spec string
		spec, set, _ = strings.Cut(set, ",")
		spec = trimOWS(spec)
		if spec == "" {
			continue // an empty list element (RFC 9110 §5.6.1.2)
		}
		specs++
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, ErrMalformed
		}
		first, last = trimOWS(first), trimOWS(last)
		if first == "" { // suffix-range: the last n bytes
			n, ok := parseDigits(last)
			if !ok {
				return nil, ErrMalformed
			}
			if n == 0 || size == 0 {
				continue
			}
			n = min(n, size)
			ranges = append(ranges, Range{Start: size - n, Length: n})
			continue
		}
		start, ok := parseDigits(first)
		if !ok {
			return nil, ErrMalformed
		}
		if start >= size {
			// Unsatisfiable whatever follows its '-', as net/http has it:
			// what the last-pos says cannot make it overlap.
			continue
		}
		end := int64(-1) // no last-pos: to the end
		if last != "" {
			if end, ok = parseDigits(last); !ok || end < start {
				return nil, ErrMalformed
			}
		}
		if end < 0 || end >= size {
			end = size - 1
		}
		ranges = append(ranges, Range{Start: start, Length: end - start + 1})
	}
	switch {
	case specs == 0:
		return nil, ErrMalformed
	case len(ranges) == 0:
		return nil, ErrUnsatisfiable
	}
	return ranges, nil
}

// parseDigits parses 1*DIGIT. A value past the largest int64 saturates
// there: it still compares as larger than any size, which is what it means.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	const maxInt64 = 1<<63 - 1
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (maxInt64-int64(c-'0'))/10 {
			n = maxInt64
			continue
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// trimOWS trims optional white space (RFC 9110 §5.6.3: SP and HTAB).
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

// Sum returns the bytes all ranges cover, counting overlaps as often as
// they occur: what sending them would cost.
func Sum(ranges []Range) int64 {
	const maxInt64 = 1<<63 - 1
	var n int64
	for _, r := range ranges {
		if n > maxInt64-r.Length {
			return maxInt64 // saturates: more than any size
		}
		n += r.Length
	}
	return n
}
