package static

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/byterange"
)

// serveRanges answers a GET's Range field, reporting done (and the error)
// when it did; not done means the whole file is to be sent: no Range, a
// failed If-Range, a malformed field, or ranges ignored by policy (more
// than MaxRanges, or more bytes than the file, as overlapping ranges can
// ask for; several ranges of a file without ReadAt or Seek, or of a
// precompressed sibling).
//
// owned is sendRange's report for a single range: the file is its to
// close. cc is the Cache-Control field of a 206 ("" for none); a 416 goes
// without it.
func (h *Handler) serveRanges(w api.Response, r *api.Request, rep representation, ctype, etag, cc string, mod time.Time, size int64) (done, owned bool, err error) {
	spec := r.Header().Get("Range")
	// An empty file is sent whole (empty) whatever the ranges, as net/http
	// does: some clients put a Range on every request, and nothing of an
	// empty file could satisfy one.
	if spec == "" || size == 0 || r.Method() != http.MethodGet || !ifRange(r, etag, mod) {
		return false, false, nil
	}
	ranges, err := byterange.Parse(spec, size)
	switch {
	case err == byterange.ErrUnsatisfiable:
		return true, false, unsatisfiable(w, size)
	case err != nil, len(ranges) > h.cfg.MaxRanges, byterange.Sum(ranges) > size:
		return false, false, nil
	case len(ranges) == 1:
		describe(w, rep, ctype)
		w.Header().Set("Content-Range", ranges[0].ContentRange(size))
		setCacheControl(w.Header(), cc)
		if err := w.SetStatus(http.StatusPartialContent); err != nil {
			return true, false, err
		}
		owned, err := sendRange(w, r, rep.f, ranges[0].Start, ranges[0].Length)
		return true, owned, err
	}
	if rep.coding != "" {
		// Beside "Content-Type: multipart/byteranges", Content-Encoding
		// would say the multipart body is coded (RFC 9110 §8.4.1), not
		// that its parts are cut from coded bytes: a client undoing the
		// coding first would get garbage. The whole sibling is sent.
		return false, false, nil
	}
	if !randomAccess(rep.f) {
		// A stream read once cannot go back for a part before the last.
		return false, false, nil
	}
	describe(w, rep, ctype)
	setCacheControl(w.Header(), cc)
	return true, false, sendParts(w, rep, ranges, ctype, size)
}

// describe tells a wrapper that derives its Vary from the body (the gzip
// filter, an api.RepresentationDescriber) what the 200 a 206 is part of
// would have been: a part's length, or multipart/byteranges, would
// mislead it.
func describe(w api.Response, rep representation, ctype string) {
	if d, ok := api.As[api.RepresentationDescriber](w); ok {
		d.DescribeRepresentation(ctype, rep.info.Size(), rep.coding)
	}
}

// randomAccess reports whether f can be read from any offset again.
func randomAccess(f any) bool {
	switch f.(type) {
	case io.ReaderAt, io.Seeker:
		return true
	}
	return false
}

// unsatisfiable answers 416 with "Content-Range: bytes */size", written
// here because an error's answer would drop Content-Range with the body
// fields.
func unsatisfiable(w api.Response, size int64) error {
	hdr := w.Header()
	hdr.Del("Content-Encoding")
	hdr.Set("Content-Range", byterange.Unsatisfied(size))
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	const msg = "416 Range Not Satisfiable\n"
	hdr.Set("Content-Length", strconv.Itoa(len(msg)))
	if err := w.SetStatus(http.StatusRequestedRangeNotSatisfiable); err != nil {
		return err
	}
	_, err := io.WriteString(w, msg)
	return err
}

// sendParts answers several ranges with a multipart/byteranges body (RFC
// 9110 §14.6), its length computed first so that it goes with a
// Content-Length. Its parts are copied on this goroutine.
func sendParts(w api.Response, rep representation, ranges []byterange.Range, ctype string, size int64) error {
	headers := make([]textproto.MIMEHeader, len(ranges))
	for i, rg := range ranges {
		headers[i] = textproto.MIMEHeader{"Content-Range": {rg.ContentRange(size)}}
		if ctype != "" { // a handler's nil Content-Type: none
			headers[i]["Content-Type"] = []string{ctype}
		}
	}
	// The same parts written to a counter: the body's length, boundary
	// and part headers included.
	mw := multipart.NewWriter(w)
	var count countingWriter
	cw := multipart.NewWriter(&count)
	if err := cw.SetBoundary(mw.Boundary()); err != nil {
		return err
	}
	for i, rg := range ranges {
		if _, err := cw.CreatePart(headers[i]); err != nil {
			return err
		}
		count += countingWriter(rg.Length)
	}
	if err := cw.Close(); err != nil {
		return err
	}

	hdr := w.Header()
	hdr.Set("Content-Type", "multipart/byteranges; boundary="+mw.Boundary())
	hdr.Set("Content-Length", strconv.FormatInt(int64(count), 10))
	if err := w.SetStatus(http.StatusPartialContent); err != nil {
		return err
	}
	for i, rg := range ranges {
		pw, err := mw.CreatePart(headers[i])
		if err != nil {
			return err
		}
		if err := copyRange(pw, rep.f, rg.Start, rg.Length); err != nil {
			return err
		}
	}
	return mw.Close()
}

// countingWriter counts the bytes written to it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
