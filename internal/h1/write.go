package h1

import (
	"strconv"
	"strings"
	"time"
)

// The encoders append to dst and return the extended slice, so a
// connector can build a whole response head in one reused buffer and
// write it with a single syscall, without allocating.

// AppendStatusLine appends "HTTP/1.<minor> <code> <reason>\r\n". A minor
// version other than 0 is written as 1. Codes without a known reason get
// an empty one, which RFC 9112 §4 allows. It panics if code is not a
// three-digit number: a status line with any other code cannot be parsed
// by the peer, so it is a bug in the caller.
func AppendStatusLine(dst []byte, minor int, code int) []byte {
	if code < 100 || code > 999 {
		panic("h1: invalid status code " + strconv.Itoa(code))
	}
	if minor == 0 {
		dst = append(dst, "HTTP/1.0 "...)
	} else {
		dst = append(dst, "HTTP/1.1 "...)
	}
	dst = append(dst, byte('0'+code/100), byte('0'+code/10%10), byte('0'+code%10), ' ')
	dst = append(dst, StatusText(code)...)
	return append(dst, '\r', '\n')
}

// AppendField appends "name: value\r\n". Any control character other than
// HTAB, and DEL, in name or value is replaced by a space: CR, LF and NUL
// would let a value supplied by a client (echoed in a header) inject
// fields or split the response, and a field value may hold none of the
// others either (RFC 9110 §5.5), which Go's client takes for a malformed
// head and fails the whole response on (net/http's server sends them).
func AppendField(dst []byte, name, value string) []byte {
	dst = appendSafe(dst, name)
	dst = append(dst, ':', ' ')
	dst = appendSafe(dst, value)
	return append(dst, '\r', '\n')
}

func appendSafe(dst []byte, s string) []byte {
	i := unsafeIndex(s)
	if i < 0 {
		return append(dst, s...)
	}
	// Rare path: copy the clean prefix, then byte by byte.
	dst = append(dst, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if unsafeByte(c) {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// unsafeByte reports whether c may not be in a field: a control character
// other than HTAB, or DEL.
func unsafeByte(c byte) bool { return c < ' ' && c != '\t' || c == 0x7f }

// CleanValue returns v as AppendField writes it, each control character
// but HTAB, and DEL, a space, and without the white space around it: for
// writers that hand a value on rather than append it (HTTP/3's, HTTP/2's),
// whose clients take a message with a value that starts or ends with it
// as malformed too (RFC 9113 §8.2.1). It returns v itself when there is
// nothing to change, and keeps every byte from 0x80 up as it is
// (obs-text, a UTF-8 value's).
func CleanValue(v string) string {
	if unsafeIndex(v) >= 0 {
		v = string(appendSafe(nil, v))
	}
	return trimOWS(v)
}

// ConnectionField reports whether k, a canonical key, is one of the fields
// that only HTTP/1.1 has, which describe its connection rather than the
// message: HTTP/2 and HTTP/3 take a message with one as malformed (RFC
// 9113 §8.2.2, RFC 9114 §4.2).
func ConnectionField(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// FramingField returns the canonical name of k, in whatever case k is
// written, if it is a field that says how a message is framed or what
// becomes of its connection (Content-Length, Transfer-Encoding, Trailer,
// and those ConnectionField names), which a connector writes itself or
// leaves out; "" for any other k. A handler's map may hold such a key in
// another case than the canonical one, where Set was not used to put it
// there: written as it is, "transfer-encoding: chunked" beside the
// connector's Content-Length would have a client (and a proxy) read the
// body as chunks, and the next response with it. Only the length of k is
// looked at for most keys.
func FramingField(k string) string {
	var canon string
	switch len(k) {
	case len("Trailer"):
		canon = "Trailer"
		if k[0]|0x20 == 'u' {
			canon = "Upgrade"
		}
	case len("Connection"):
		canon = "Connection"
		if k[0]|0x20 == 'k' {
			canon = "Keep-Alive"
		}
	case len("Content-Length"):
		canon = "Content-Length"
	case len("Proxy-Connection"):
		canon = "Proxy-Connection"
	case len("Transfer-Encoding"):
		canon = "Transfer-Encoding"
	default:
		return ""
	}
	if k == canon || strings.EqualFold(k, canon) {
		return canon
	}
	return ""
}

// unsafeIndex returns the index of the first byte unsafeByte reports in s,
// or -1. Every response writes each of its fields through it, so it looks
// at eight bytes at a time: whether a word has a byte below 0x20 takes one
// subtraction to tell, and whether it has a DEL one addition (exactly: the
// borrow and carry tests below have no false negatives). Such bytes, and HTAB,
// which is below 0x20 but allowed, are rare in a field; a word that has
// one is looked at byte by byte.
func unsafeIndex(s string) int {
	if len(s) < 8 {
		return unsafeIndexBytes(s, 0)
	}
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; ; i += 8 {
		if i > len(s)-8 {
			i = len(s) - 8 // the last word overlaps bytes already seen clean
		}
		b := s[i : i+8] // of known length: the loads below become one
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		// A byte below 0x20 borrows, or a DEL (0x7f) carries into its high
		// bit, where the byte had none: both tests in one. A carry out of
		// a byte of 0xff can flag the next (0x7e) for nothing, never hide
		// one.
		if ((w-ones*0x20)|(w+ones))&^w&highs != 0 {
			if j := unsafeIndexBytes(s[:i+8], i); j >= 0 {
				return j
			}
		}
		if i == len(s)-8 {
			return -1
		}
	}
}

// unsafeIndexBytes is unsafeIndex byte by byte, from i.
func unsafeIndexBytes(s string, i int) int {
	for ; i < len(s); i++ {
		if unsafeByte(s[i]) {
			return i
		}
	}
	return -1
}

// AppendHeader appends every field of an http.Header-shaped map, one line
// per value, leaving out names that are not tokens (as AppendResponseHead
// does). Map iteration order is not stable, and need not be: field
// order only matters among lines of the same name, which stay in slice
// order.
func AppendHeader(dst []byte, h map[string][]string) []byte {
	for name, values := range h {
		if !IsTokenString(name) {
			continue
		}
		for _, v := range values {
			dst = AppendField(dst, name, v)
		}
	}
	return dst
}

// AppendChunkHeader appends the chunk-size line for a chunk of n bytes.
// n must be positive: a zero size would end the body (use AppendLastChunk).
func AppendChunkHeader(dst []byte, n int) []byte {
	if n <= 0 {
		panic("h1: chunk size must be positive")
	}
	dst = strconv.AppendUint(dst, uint64(n), 16)
	return append(dst, '\r', '\n')
}

// AppendChunkEnd appends the CRLF that follows chunk data.
func AppendChunkEnd(dst []byte) []byte {
	return append(dst, '\r', '\n')
}

// AppendLastChunk appends the last chunk, the trailer fields and the CRLF
// that ends the chunked body. A field a trailer may not carry
// (SendableTrailer) is left out.
func AppendLastChunk(dst []byte, trailers map[string][]string) []byte {
	dst = append(dst, '0', '\r', '\n')
	for name, values := range trailers {
		if !SendableTrailer(name) {
			continue
		}
		for _, v := range values {
			dst = AppendField(dst, name, v)
		}
	}
	return append(dst, '\r', '\n')
}

const (
	dayNames   = "SunMonTueWedThuFriSat"
	monthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"
)

// AppendDate appends t in IMF-fixdate form ("Mon, 02 Jan 2006 15:04:05
// GMT"), the only form RFC 9110 §5.6.7 lets a sender generate. It is
// written by hand because it runs for every response.
func AppendDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	wd := int(t.Weekday()) * 3
	mo := (int(month) - 1) * 3
	dst = append(dst, dayNames[wd:wd+3]...)
	dst = append(dst, ',', ' ')
	dst = append2(dst, day)
	dst = append(dst, ' ')
	dst = append(dst, monthNames[mo:mo+3]...)
	dst = append(dst, ' ')
	if year >= 0 && year <= 9999 {
		dst = append(dst, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10))
	} else {
		dst = strconv.AppendInt(dst, int64(year), 10)
	}
	dst = append(dst, ' ')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	return append(dst, " GMT"...)
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}
