package wharftest

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// JSONErrorPage is an error page as a JSON API writes one: the message of
// the failure's cause as {"error":"..."}, application/json. It counts its
// runs and keeps the last error it was given, for the tests that a
// filter's answer (a 503 of load shedding, a timeout) goes through the
// container's error pages once, with the filter's error.
type JSONErrorPage struct {
	errorOf func(*api.Request) error

	mu   sync.Mutex
	runs int
	err  error
}

// NewJSONErrorPage returns a page that reads the failure it renders with
// errorOf: container.ErrorOf, which this package cannot import (see
// Server).
func NewJSONErrorPage(errorOf func(*api.Request) error) *JSONErrorPage {
	return &JSONErrorPage{errorOf: errorOf}
}

// Serve renders the failure, which must be an *api.StatusError (the
// status it answers with and the filter's error as its cause): another
// fails the page, so that the default rendering shows in the test.
func (p *JSONErrorPage) Serve(w api.Response, r *api.Request) error {
	err := p.errorOf(r)
	p.mu.Lock()
	p.runs++
	p.err = err
	p.mu.Unlock()
	se, ok := err.(*api.StatusError)
	if !ok {
		return fmt.Errorf("wharftest: the error page was given %T (%v), want an *api.StatusError", err, err)
	}
	body, jerr := json.Marshal(struct {
		Error string `json:"error"`
	}{se.Err.Error()})
	if jerr != nil {
		return jerr
	}
	w.Header().Set("Content-Type", "application/json")
	_, werr := w.Write(body)
	return werr
}

// Runs returns how many times the page ran.
func (p *JSONErrorPage) Runs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs
}

// Err returns the error the page was given last; nil before it ran.
func (p *JSONErrorPage) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
