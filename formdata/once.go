package formdata

import (
	"errors"
	"fmt"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/exchange"
)

// parseKey is the key the exchange keeps its one parse under
// (exchange.Value): a type of this package's, which no other meets.
type parseKey struct{}

// parsed is the one form parse of an exchange, kept by the exchange and so
// shared by every Request derived from its initial one: the first Parse or
// ParseAsync reads the body, and every later call, from a re-dispatch, a
// forward, a filter or the same handler, gets its Form and its error, as
// every Request.Form call of an exchange gets the one URL-encoded parse.
// The body can be read once; a second parse would read nothing, and blame
// the client for a spent body.
type parsed struct {
	mu    sync.Mutex
	state parseState
	done  chan struct{} // closed when a blocking parse settles or lets go
	form  *Form
	err   error
}

type parseState uint8

const (
	unparsed     parseState = iota
	reading                 // a Parse reads the body
	readingAsync            // a ParseAsync reads it, from the request's tasks
	settled                 // form and err are the exchange's
)

// claimed is what claim tells a call to do.
type claimed uint8

const (
	parseFirst claimed = iota // parse the body, then settle (or release)
	useStored                 // return the form and error given
	refused                   // an async parse is under way: return the error given
)

// errParsing is what a call gets while ParseAsync reads the body: it cannot
// wait for that parse, which runs as tasks of the request that a waiting
// dispatch or task would hold back.
var errParsing = fmt.Errorf("formdata: %w: ParseAsync is still parsing this request's form", api.ErrWrongState)

// errPanicked settles a parse that panicked: the body is partly read, so
// no later call may parse it again, and none must wait for ever.
var errPanicked = errors.New("formdata: the request's form parse panicked")

// parseOf returns r's exchange's parse, or nil for a Request no container
// built: each call then parses, as the body allows.
func parseOf(r *api.Request) *parsed {
	ex := exchange.From(r)
	if ex == nil {
		return nil
	}
	return ex.Value(parseKey{}, func() any { return new(parsed) }).(*parsed)
}

// claim says whether the call parses: the first does (a nil p: every
// call), a later one gets the stored result. A Parse while another Parse
// reads waits for its result, as concurrent Request.Form calls do; a call
// while ParseAsync reads is refused (errParsing), and so is a ParseAsync
// while a Parse reads, since ParseAsync must not block.
func (p *parsed) claim(isAsync bool) (claimed, *Form, error) {
	if p == nil {
		return parseFirst, nil, nil
	}
	for {
		p.mu.Lock()
		switch p.state {
		case unparsed:
			if isAsync {
				p.state = readingAsync
			} else {
				p.state, p.done = reading, make(chan struct{})
			}
			p.mu.Unlock()
			return parseFirst, nil, nil
		case settled:
			f, err := p.form, p.err
			p.mu.Unlock()
			return useStored, f, err
		case reading:
			if isAsync {
				p.mu.Unlock()
				return refused, nil, errParsing
			}
			done := p.done
			p.mu.Unlock()
			<-done // then settled, or unparsed again: look again
		default: // readingAsync
			p.mu.Unlock()
			return refused, nil, errParsing
		}
	}
}

// settle keeps the first call's outcome for the later ones.
func (p *parsed) settle(f *Form, err error) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state, p.form, p.err = settled, f, err
	if p.done != nil {
		close(p.done)
		p.done = nil
	}
}

// settled settles p and returns err, for the returns that end a parse.
func (p *parsed) settled(f *Form, err error) error {
	p.settle(f, err)
	return err
}

// release gives the parse up without reading the body (async mode could
// not start, this dispatch being the wrong place for it): a later call,
// from the right place, parses.
func (p *parsed) release() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = unparsed
	if p.done != nil {
		close(p.done)
		p.done = nil
	}
}

// replay gives a later ParseAsync the stored outcome as the first call's
// gave it: async mode, and done run as a task of the request.
func replay(r *api.Request, f *Form, err error, done DoneFunc) (*async.Context, error) {
	ac, serr := async.Start(r)
	if serr != nil {
		return nil, serr
	}
	return ac, ac.Dispatch(func(w api.Response) { end(ac, done(w, f, err)) })
}
