package api

import (
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
)

// formState is the URL-encoded body of one exchange, parsed at most once.
// Every Request of the exchange points to the same formSlot, and the first
// to ask for a body form puts the exchange's one formState there, so
// whichever asks first reads the body and the others see its result. post
// and err are written inside once and only read after it, so any goroutine
// may read them once Do has returned.
type formState struct {
	once sync.Once
	post url.Values // never modified after the parse
	err  error
}

// formSlot holds an exchange's formState once a Request asks for its body
// form. Most requests never do (every GET), so they keep a word for it, not
// the state itself.
type formSlot struct{ p atomic.Pointer[formState] }

// state returns the exchange's formState, making it on the first call.
func (s *formSlot) state() *formState {
	if st := s.p.Load(); st != nil {
		return st
	}
	st := new(formState)
	if s.p.CompareAndSwap(nil, st) {
		return st
	}
	return s.p.Load() // another Request of the exchange made it first
}

// Form returns the request's form values: for a POST, PUT or PATCH request
// whose Content-Type is application/x-www-form-urlencoded (parameters such
// as charset are ignored), the body's values, followed per key by the
// values of the query string, as net/http's Request.Form orders them. For
// any other request it is the query values alone. Multipart bodies are not
// parsed here, so FormValue does not see their fields as net/http's does:
// package formdata parses them (Parse, or ParseAsync without a goroutine),
// under limits, into a Form whose Value reads a field.
//
// The Request is immutable and shared, so the body is parsed once per
// exchange and Form returns a fresh copy each call, which the caller owns
// and may modify. The body half is per exchange, not per Request: every
// Request derived from the same original (WithAttribute, WithContext,
// WithMapping, WithHead, WithBody, ...) shares it, and it is parsed from the
// Body and MaxFormBytes of the first Request that asks whose method and
// Content-Type call for it. The query values, and whether the method and
// Content-Type call for body values at all, are the receiver's own, so a
// forwarded request sees its new query.
//
// Reading the body follows the one-reader rule of Body: Form consumes the
// stream shared by every Request of the exchange, a handler that read the
// body before gets a form parsed from what remained, and the first Form
// call must not overlap another read of the body. Form blocks until the
// body is read, so a NonBlocking handler must not call it for a form body.
// Once the request has a ReadListener (see Body), whose body it is, a
// Form that would read the body returns an error wrapping ErrWrongState
// that names the listener, and leaves the exchange's one parse to a later
// call (formdata's ParseAsync makes it from the bytes its listener read);
// a parse begun before the listener came is the form.
//
// Errors: a body longer than MaxFormBytes (or a Content-Length above it,
// before anything is read) is an error wrapping ErrBodyTooLarge, which the
// container answers 413; a malformed body or query is a *StatusError with
// code 400. Either can be returned from a handler as is. Along with a
// malformed body or query the values that did parse are returned, as
// net/http does. A failed body read is returned wrapped.
//
// Any goroutine may call Form, at any time; concurrent calls for one
// exchange wait for one parse.
func (r *Request) Form() (url.Values, error) {
	post, err := r.bodyForm()
	q, qerr := url.ParseQuery(r.head.RawQuery)
	if err == nil && qerr != nil {
		err = &StatusError{Code: http.StatusBadRequest, Err: fmt.Errorf("wharf: malformed query: %w", qerr)}
	}
	if len(post) == 0 {
		return q, err // ParseQuery returns a new, non-nil map
	}
	form := copyValues(post, len(q))
	for k, vs := range q {
		form[k] = append(form[k], vs...)
	}
	return form, err
}

// PostForm returns the values of a URL-encoded POST, PUT or PATCH body
// only, without the query string, in a fresh map the caller owns. It is
// empty for any other request. The body is parsed, and its errors reported,
// as Form describes; PostForm and Form share that one parse.
//
// Any goroutine may call PostForm, at any time.
func (r *Request) PostForm() (url.Values, error) {
	post, err := r.bodyForm()
	return copyValues(post, 0), err
}

// FormValue returns the first value for key in Form, or "". It ignores
// errors, as net/http's does, so that the common case reads in one line:
// a value missing because the body was malformed, too large or unreadable
// is just "". Call Form to see errors. It copies nothing.
//
// Unlike net/http's, it does not parse a multipart/form-data body (an
// HTML form with a file input): the fields of such a form read as "",
// with no error anywhere. Parse those with package formdata, whose Form
// has Value. See Form.
//
// Any goroutine may call FormValue, at any time.
func (r *Request) FormValue(key string) string {
	post, _ := r.bodyForm()
	if vs := post[key]; len(vs) > 0 {
		return vs[0]
	}
	return r.QueryValue(key)
}

// PostFormValue returns the first value for key in PostForm, or "",
// ignoring errors as FormValue does. Call PostForm to see errors. As
// FormValue, it reads a URL-encoded body only, never a multipart one.
//
// Any goroutine may call PostFormValue, at any time.
func (r *Request) PostFormValue(key string) string {
	post, _ := r.bodyForm()
	if vs := post[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// bodyForm returns the exchange's parsed body form if r's method and
// Content-Type call for one, and nil otherwise, parsing it the first time.
// The map is shared: callers must not modify it.
func (r *Request) bodyForm() (url.Values, error) {
	if !hasFormBody(r.head) {
		return nil, nil
	}
	if r.form == nil {
		return nil, nil // detached, with no body (Detach)
	}
	if r.form.p.Load() == nil {
		if _, ok := r.Body().(listenedBody); ok {
			// A ReadListener reads the body (see Body): refused,
			// without taking the exchange's one parse, which a
			// Request given the bytes the listener read makes
			// (formdata's ParseAsync). One begun before the listener
			// came is the form.
			return nil, errBodyListened
		}
	}
	st := r.form.state()
	st.once.Do(func() { st.post, st.err = parseFormBody(r.head, r.Body()) })
	return st.post, st.err
}

// formRead reports whether r's method and Content-Type call for a body
// form and a Request of the exchange has asked for it: the body has been
// (or is being) read for it.
func (r *Request) formRead() bool {
	return r.form != nil && r.form.p.Load() != nil && hasFormBody(r.head)
}

// hasFormBody reports whether h is a POST, PUT or PATCH with a URL-encoded
// body, the requests net/http's ParseForm reads a body for.
func hasFormBody(h *RequestHead) bool {
	switch h.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	return IsFormType(h.Header.Get("Content-Type"))
}

// IsFormType reports whether contentType, a Content-Type field's value,
// names a URL-encoded form: the bodies PostForm and Form read, as
// net/http's ParseForm decides it (case and parameters do not matter,
// and a malformed parameter still yields the media type).
func IsFormType(contentType string) bool {
	const urlencoded = "application/x-www-form-urlencoded"
	switch contentType {
	case urlencoded:
		return true // the common case, without ParseMediaType's allocations
	case "":
		return false
	default:
		mt, _, _ := mime.ParseMediaType(contentType)
		return mt == urlencoded
	}
}

// parseFormBody reads and parses body, h's (as Body gives it), under h's
// form limit.
func parseFormBody(h *RequestHead, body io.Reader) (url.Values, error) {
	limit := h.MaxFormBytes
	if limit == 0 {
		limit = DefaultMaxFormBytes
	}
	if limit > 0 && limit < math.MaxInt64 {
		if h.ContentLength > limit {
			return nil, formTooLarge(limit)
		}
		// One byte more than allowed tells a body at the limit from one
		// over it without reading the rest.
		body = io.LimitReader(body, limit+1)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("wharf: reading form body: %w", err)
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, formTooLarge(limit)
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return v, &StatusError{Code: http.StatusBadRequest, Err: fmt.Errorf("wharf: malformed form body: %w", err)}
	}
	return v, nil
}

func formTooLarge(limit int64) error {
	return fmt.Errorf("%w: form body over %d bytes", ErrBodyTooLarge, limit)
}

// copyValues returns a deep copy of v with room for extra more keys: the
// caller owns the map and every slice in it.
func copyValues(v url.Values, extra int) url.Values {
	c := make(url.Values, len(v)+extra)
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
