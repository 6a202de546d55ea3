package byterange

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The differential check: for a Range header and a content, what a server
// built on Parse serves (the policy package static documents) against what
// net/http's http.ServeContent serves. They must agree on the status, the
// Content-Range and the bytes, except where this package departs from
// net/http on purpose (deviates).

// maxRanges is static's limit: more ranges than this are ignored.
const maxRanges = 16

// answer is what a range request was answered with.
type answer struct {
	status       int
	contentRange string  // of a single-range 206, or of a 416
	parts        []piece // a 206's ranges: one, or the multipart parts
	body         []byte  // a 200's
}

type piece struct {
	contentRange string
	body         []byte
}

// ours answers as package static does: a malformed header, too many or
// too large ranges, or any range of an empty file are ignored (200), none
// satisfiable is 416.
func ours(h string, content []byte) (a answer, ignoredForCount bool) {
	size := int64(len(content))
	ranges, err := Parse(h, size)
	switch {
	case size == 0: // an empty file is sent whole, ranges or not
		return answer{status: 200, body: content}, false
	case err == ErrUnsatisfiable:
		return answer{status: 416, contentRange: Unsatisfied(size)}, false
	case err != nil, Sum(ranges) > size:
		return answer{status: 200, body: content}, false
	case len(ranges) > maxRanges:
		return answer{status: 200, body: content}, true
	}
	a.status = 206
	for _, r := range ranges {
		a.parts = append(a.parts, piece{r.ContentRange(size), content[r.Start : r.Start+r.Length]})
	}
	if len(ranges) == 1 {
		a.contentRange = a.parts[0].contentRange
	}
	return a, false
}

// theirs asks http.ServeContent.
func theirs(t testing.TB, h string, content []byte) answer {
	req := httptest.NewRequest("GET", "/f", nil)
	if h != "" {
		req.Header["Range"] = []string{h}
	}
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "f", time.Time{}, bytes.NewReader(content))
	return parseAnswer(t, rec.Code, rec.Header(), rec.Body.Bytes())
}

// parseAnswer reads a response into an answer; a multipart/byteranges
// body is split into its parts with mime/multipart.
func parseAnswer(t testing.TB, status int, hdr http.Header, body []byte) answer {
	a := answer{status: status}
	switch status {
	case 200:
		a.body = body
	case 416:
		a.contentRange = hdr.Get("Content-Range")
	case 206:
		mt, params, _ := mime.ParseMediaType(hdr.Get("Content-Type"))
		if mt != "multipart/byteranges" {
			a.contentRange = hdr.Get("Content-Range")
			a.parts = []piece{{a.contentRange, body}}
			break
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("multipart body: %v", err)
			}
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("multipart part: %v", err)
			}
			a.parts = append(a.parts, piece{p.Header.Get("Content-Range"), b})
		}
	}
	return a
}

var (
	suffixZero = regexp.MustCompile(`(^|,)[ \t]*-[ \t]*0+[ \t]*(,|$)`)
	longNumber = regexp.MustCompile(`[0-9]{19,}`)
	minusSign  = regexp.MustCompile(`-[ \t]*-`)
)

// deviates reports whether h is one of the headers where Parse departs
// from net/http on purpose, so only Parse's own invariants are checked:
//   - a unit in another case ("Bytes="): the RFC says units are
//     case-insensitive; net/http wants "bytes=" (416 without Content-Range);
//   - a sign ("+5", or "-" before a last-pos: "0--0"): not a DIGIT;
//     strconv.ParseInt takes it;
//   - CR or LF: not OWS; net/http trims them;
//   - a suffix of length 0 ("-0"): unsatisfiable by the RFC; net/http
//     makes an empty range at the end;
//   - a number of 19 digits or more: a valid first-pos past any size
//     (unsatisfiable) or a last-pos past the end (cut); net/http's
//     ParseInt overflows and calls the header invalid;
//   - an empty representation, where net/http answers a suffix range with
//     a 206 of "bytes 0--1/0" (and everything else with 200, as static).
func deviates(h string, size int) bool {
	unit, set, _ := strings.Cut(h, "=")
	return unit != "bytes" && strings.EqualFold(unit, "bytes") ||
		strings.ContainsAny(h, "+\r\n") || minusSign.MatchString(set) ||
		suffixZero.MatchString(set) ||
		longNumber.MatchString(h) ||
		size == 0
}

// differential checks Parse's invariants on h, then that its answer is
// net/http's unless h deviates.
func differential(t *testing.T, h string, content []byte) {
	t.Helper()
	size := int64(len(content))
	ranges, err := Parse(h, size)
	for _, r := range ranges {
		if r.Start < 0 || r.Length < 1 || r.Start+r.Length > size {
			t.Fatalf("Parse(%q, %d): range %v outside the representation", h, size, r)
		}
	}
	if (err == nil) == (len(ranges) == 0) {
		t.Fatalf("Parse(%q, %d) = %v, %v: ranges exactly when no error", h, size, ranges, err)
	}
	if deviates(h, len(content)) {
		return
	}
	o, ignored := ours(h, content)
	th := theirs(t, h, content)
	switch {
	case th.status == 416 && th.contentRange == "":
		// net/http finds the header invalid and refuses it; it is ignored.
		if o.status != 200 {
			t.Fatalf("Range %q on %d bytes: net/http says invalid (416), ours answers %d, want 200", h, size, o.status)
		}
		return
	case ignored:
		if th.status != 206 {
			t.Fatalf("Range %q on %d bytes: more than %d ranges; net/http answers %d", h, size, maxRanges, th.status)
		}
		return
	}
	if o.status != th.status || o.contentRange != th.contentRange {
		t.Fatalf("Range %q on %d bytes: ours %d %q, net/http %d %q", h, size, o.status, o.contentRange, th.status, th.contentRange)
	}
	if !bytes.Equal(o.body, th.body) {
		t.Fatalf("Range %q on %d bytes: 200 bodies differ", h, size)
	}
	if !slices.EqualFunc(o.parts, th.parts, func(a, b piece) bool {
		return a.contentRange == b.contentRange && bytes.Equal(a.body, b.body)
	}) {
		t.Fatalf("Range %q on %d bytes: ours serves %v, net/http %v", h, size, o.parts, th.parts)
	}
}

func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// TestNetHTTP runs every table row, and a few more sizes, through the
// differential check.
func TestNetHTTP(t *testing.T) {
	extra := []string{
		"bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16",
		"bytes=0-,0-",     // twice the size: ignored by both
		"bytes=0-4,5-9",   // exactly the size: served by both
		"bytes=0-1,2-3,1", // malformed after good ranges
	}
	for _, size := range []int{1, 10, 100, 1000} {
		for _, tc := range parseCases {
			differential(t, tc.h, content(size))
		}
		for _, h := range extra {
			differential(t, h, content(size))
		}
	}
}

// TestDeviates proves the differential check can fail: with the
// deviation list emptied, the rows known to differ from net/http would be
// reported.
func TestDeviates(t *testing.T) {
	for _, h := range []string{"Bytes=0-1", "bytes=+1-2", "bytes=0--0", "bytes=-0", "bytes=0-99999999999999999999"} {
		if !deviates(h, 10) {
			t.Errorf("deviates(%q) = false", h)
			continue
		}
		o, _ := ours(h, content(10))
		th := theirs(t, h, content(10))
		if o.status == th.status && o.contentRange == th.contentRange {
			t.Errorf("Range %q: ours and net/http agree (%d %q); it need not be a deviation", h, o.status, o.contentRange)
		}
	}
}

// FuzzParse checks Parse's invariants on any header and, outside the
// documented deviations, that a server built on it serves what net/http
// serves.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.h, uint16(tc.size))
	}
	f.Fuzz(func(t *testing.T, h string, size uint16) {
		differential(t, h, content(int(size%2048)))
	})
}
