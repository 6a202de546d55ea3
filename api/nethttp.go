package api

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
)

// FromHTTP adapts a net/http Handler (a chi router, net/http/pprof, ...) so it
// can be mounted in a Wharf context. The http.Request it sees has the full
// request path in URL.Path; wrap h with http.StripPrefix to serve it under a
// prefix. The ResponseWriter implements http.Flusher and http.Hijacker (the
// latter fails with ErrNotSupported where the connection cannot be hijacked)
// and works with http.ResponseController.
//
// The net/http handler runs in the request's serialized task and must finish
// its response before returning, as net/http requires.
func FromHTTP(h http.Handler) Handler {
	return HandlerFunc(func(w Response, r *Request) error {
		hr, err := ToHTTPRequest(r)
		if err != nil {
			return &StatusError{Code: http.StatusBadRequest, Err: err}
		}
		rw := &httpWriter{w: w}
		h.ServeHTTP(rw, hr)
		return rw.err
	})
}

// ToHTTPRequest builds a net/http server request from r: same method, target,
// header (a copy), body, context, addresses and TLS state.
func ToHTTPRequest(r *Request) (*http.Request, error) {
	u, err := url.ParseRequestURI(r.head.Target)
	if err != nil {
		if r.head.Target != "*" {
			return nil, err
		}
		u = &url.URL{Path: "*"}
	}
	hr := &http.Request{
		Method:     r.head.Method,
		URL:        u,
		Proto:      r.head.Proto,
		ProtoMajor: r.head.ProtoMajor,
		ProtoMinor: r.head.ProtoMinor,
		Header:     r.head.Header.Clone(),
		Body:       r.head.Body,
		Host:       r.head.Host,
		RemoteAddr: r.RemoteAddr(),
		RequestURI: r.head.Target,
		TLS:        r.TLS(),
	}
	hr.ContentLength = r.head.ContentLength
	if hr.ContentLength < 0 {
		hr.TransferEncoding = []string{"chunked"}
	}
	return hr.WithContext(r.ctx), nil
}

// httpWriter is the http.ResponseWriter over a Wharf Response.
type httpWriter struct {
	w           Response
	wroteHeader bool
	err         error
}

func (h *httpWriter) Header() http.Header { return h.w.Header() }

func (h *httpWriter) WriteHeader(code int) {
	if h.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		return // informational responses are not forwarded
	}
	h.wroteHeader = true
	h.keep(h.w.SetStatus(code))
}

func (h *httpWriter) Write(p []byte) (int, error) {
	h.wroteHeader = true
	n, err := h.w.Write(p)
	h.keep(err)
	return n, err
}

func (h *httpWriter) WriteString(s string) (int, error) {
	h.wroteHeader = true
	n, err := h.w.WriteString(s)
	h.keep(err)
	return n, err
}

func (h *httpWriter) Flush() { h.keep(h.w.Flush()) }

// FlushError is what http.ResponseController.Flush calls.
func (h *httpWriter) FlushError() error {
	err := h.w.Flush()
	h.keep(err)
	return err
}

func (h *httpWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return Hijack(h.w) }

// Unwrap lets http.ResponseController find nothing else: every capability is
// implemented here directly.
func (h *httpWriter) keep(err error) {
	if err != nil && h.err == nil {
		h.err = err
	}
}
