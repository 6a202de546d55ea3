package formdata

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/mimepart"
)

// encoding is a form body's Content-Type.
type encoding int

const (
	multipartForm encoding = iota + 1
	urlEncoded
)

// classify reads r's Content-Type: multipart/form-data with its boundary,
// or application/x-www-form-urlencoded; anything else is a 415.
func classify(r *api.Request) (encoding, string, error) {
	ct := r.Header().Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch mt {
	case "multipart/form-data":
		if b := params["boundary"]; err == nil && b != "" {
			return multipartForm, b, nil
		}
		return 0, "", &api.StatusError{Code: http.StatusBadRequest, Err: fmt.Errorf("%w: no boundary in Content-Type %q", ErrMalformed, ct)}
	case "application/x-www-form-urlencoded":
		return urlEncoded, "", nil
	}
	return 0, "", &api.StatusError{Code: http.StatusUnsupportedMediaType, Err: fmt.Errorf("%w: %q", ErrUnsupportedType, ct)}
}

// Parse reads r's form body, blocking until it is read: a
// multipart/form-data body through mime/multipart's Reader, as net/http's
// ParseMultipartForm does (a quoted-printable part decoded, as NextPart
// decodes it; see the package doc), under lim; a URL-encoded one
// through r.PostForm, under the container's limit for those
// (container.WithMaxFormBytes). Parts without a form name are skipped,
// as net/http skips them.
//
// The bytes also pass through the push parser ParseAsync uses, which
// checks MaxParts and MaxHeaderBytes as they arrive and refuses a body
// that ends inside a part's header (mime/multipart takes that for a
// complete body), so both styles accept the same bodies.
//
// Files over lim.MemoryThreshold are written to temporary files in
// lim.TempDir as they arrive. Parse registers their removal with
// async.OnComplete before it reads anything, so they are removed when the
// request completes however it ends — answered, failed, expired, or
// abandoned by its client; and at once if Parse fails. A Request that no
// container built has no completion: call Form.RemoveAll then.
//
// Errors: a Content-Type that is neither encoding is a 415 and a missing
// or invalid boundary a 400 (*api.StatusError wrapping ErrUnsupportedType
// or ErrMalformed), before anything is read; a malformed body a 400; a
// body over a limit a 413 wrapping a *LimitError (and api.ErrBodyTooLarge)
// that names the limit and the part; a failed read (the client left) the
// read's error, wrapped. The handler may return any of them as they are.
//
// Parse is for blocking handlers: it holds the calling goroutine while
// the client sends (ParseAsync does not).
//
// A form is parsed once per exchange (see the package doc): the first
// Parse or ParseAsync of a request reads the body, under its Limits, and
// every later Parse of the exchange, from any Request derived from it (a
// resumed continuation's re-dispatch, a forward, a filter's and then the
// handler's, WithAttribute), returns the same *Form and the same error,
// whatever Limits it passes. A Parse while another reads the body waits
// for that parse's result; a Parse while ParseAsync reads it returns an
// error wrapping api.ErrWrongState at once, since ParseAsync's parse runs
// as tasks of the request that a waiting handler would hold back. A
// Parse that would read a body the request's own ReadListener reads (one
// the handler set with async.Context.SetReadListener) returns the error
// of Body's stream then, wrapping api.ErrWrongState and naming the
// listener (see api.Request.Body). A
// Request that no container built has no exchange: each Parse reads what
// is left of its body.
func Parse(r *api.Request, lim Limits) (*Form, error) {
	p := parseOf(r)
	if c, f, err := p.claim(false); c != parseFirst {
		return f, err
	}
	done := false
	defer func() {
		if !done {
			p.settle(nil, errPanicked) // nobody waits for ever
		}
	}()
	f, err := parse(r, lim)
	done = true
	p.settle(f, err)
	return f, err
}

// parse is Parse's reading of the body.
func parse(r *api.Request, lim Limits) (*Form, error) {
	enc, boundary, err := classify(r)
	if err != nil {
		return nil, err
	}
	if enc == urlEncoded {
		v, err := r.PostForm()
		if err != nil {
			return nil, formError(err)
		}
		return &Form{Values: v, files: map[string][]*FileHeader{}, st: &store{}}, nil
	}
	lim = lim.resolved()
	if over(r.ContentLength(), lim.MaxBodyBytes) {
		return nil, tooLarge(&LimitError{Limit: "MaxBodyBytes", Max: lim.MaxBodyBytes})
	}
	b := newBuilder(lim, &store{dir: lim.TempDir})
	v, err := mimepart.NewParser(boundary, partLimits(lim), ignore{})
	if err != nil {
		return nil, b.parseError(err, 0)
	}
	if err := watch(r, b.form.st); err != nil {
		return nil, err
	}
	src := &source{r: r.Body(), max: lim.MaxBodyBytes, v: v}
	if err := readParts(multipart.NewReader(src, boundary), b, src); err != nil {
		b.form.st.removeAll()
		return nil, err
	}
	return b.form, nil
}

// readParts feeds mime/multipart's parts to b.
func readParts(mr *multipart.Reader, b *builder, src *source) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	fail := func(err error) error {
		if src.err != nil { // the cause: a read error, a limit, the validator
			return b.parseError(src.err, src.v.Parts())
		}
		return malformed(err)
	}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			// mime/multipart also says io.EOF for a body that ends inside a
			// part's header; the validator tells that from the end.
			if err := src.v.Close(); err != nil {
				return b.parseError(err, src.v.Parts())
			}
			return nil
		}
		if err != nil {
			return fail(err)
		}
		if err := b.Header(p.Header); err != nil {
			return err
		}
		for {
			n, err := p.Read(buf)
			if n > 0 {
				if err := b.Data(buf[:n]); err != nil {
					return err
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return fail(err)
			}
		}
		if err := b.End(); err != nil {
			return err
		}
	}
}

// source is the body as Parse reads it: counted against MaxBodyBytes and
// run through a mimepart parser, which checks the part limits as the
// bytes arrive and gives the verdict where mime/multipart's is wrong.
// Its first error is kept: it is the reason the parse failed.
type source struct {
	r   io.Reader
	max int64
	n   int64
	v   *mimepart.Parser
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case over(s.n, s.max):
		s.err = tooLarge(&LimitError{Limit: "MaxBodyBytes", Max: s.max})
	case n > 0:
		if k, verr := s.v.Write(p[:n]); verr != nil {
			s.err = verr
			if k > 0 {
				// The parser reads ahead of mime/multipart: the bytes
				// before the fault go on, so that a limit an earlier
				// part meets is the answer, as in ParseAsync, and not
				// the fault of a later one that came in the same read.
				// The next Read reports the fault.
				return k, nil
			}
		}
	}
	if s.err == nil && err != nil && err != io.EOF {
		s.err = readError(err)
	}
	if s.err != nil {
		return 0, s.err
	}
	return n, err
}

// ignore is the validator's Handler: the parts come from mime/multipart.
type ignore struct{}

func (ignore) Header(textproto.MIMEHeader) error { return nil }
func (ignore) Data([]byte) error                 { return nil }
func (ignore) End() error                        { return nil }

func partLimits(lim Limits) mimepart.Limits {
	return mimepart.Limits{MaxParts: lim.MaxParts, MaxHeaderBytes: lim.MaxHeaderBytes}
}

// watch removes st's files when r completes. A Request no container
// built has no completion; its caller removes them (Form.RemoveAll).
func watch(r *api.Request, st *store) error {
	err := async.OnComplete(r, func(error) { st.removeAll() })
	if errors.Is(err, api.ErrNotSupported) {
		return nil
	}
	return err
}

// formError gives a URL-encoded body's limit error the 413 status and its
// message in the answer (the container shows a StatusError's cause).
func formError(err error) error {
	var se *api.StatusError
	if errors.Is(err, api.ErrBodyTooLarge) && !errors.As(err, &se) {
		return &api.StatusError{Code: http.StatusRequestEntityTooLarge, Err: err}
	}
	return err
}

// bufPool holds the buffers parts are read through, so that an upload
// holds one only while it reads.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}
