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
//
// Its state changes only in transition, under mu.
type parsed struct {
	ex    *exchange.Exchange // whose end a claim checks for (abortIfEnded); nil in unit tests
	mu    sync.Mutex
	state parseState
	done  chan struct{} // closed when a blocking parse settles or lets go
	form  *Form
	err   error
}

// parseState is where the exchange's parse is.
//
//	unparsed ──claim──▶ reading ──────────settle──────────▶ settled
//	    │  ▲                                                   ▲ ▲
//	    │  └───────release───┐                                 │ │
//	    └──claimAsync──▶ startingAsync ──settle────────────────┘ │
//	                         └──run──▶ readingAsync ──settle─────┤
//	                                        └────────abort───────┘
//
// A Parse's claim in reading waits for the settle and claims again; every
// other claim while a parse reads is refused; every claim in settled gets
// the stored outcome. Nothing leaves settled. A ParseAsync's call owns
// the parse until it has started async mode and heard of its request's
// end (startingAsync): it settles it, or releases it unread when async
// mode would not start. An abort settles a ParseAsync whose request ended
// (expired, failed, completed) before its done could run: nothing reads
// the body any more, so a later call must not be told that something
// does. An abort before the run leaves the parse to its call, and one
// after the settle changes nothing: the request's end always reports,
// whether or not done ran.
type parseState uint8

const (
	unparsed      parseState = iota
	reading                  // a Parse reads the body
	startingAsync            // a ParseAsync's call has the parse, before async mode
	readingAsync             // that ParseAsync reads it, from the request's tasks
	settled                  // form and err are the exchange's
)

var stateNames = [...]string{"unparsed", "reading", "startingAsync", "readingAsync", "settled"}

func (s parseState) String() string { return stateNames[s] }

// parseEvent is what happens to the exchange's parse.
type parseEvent uint8

const (
	evClaim      parseEvent = iota // a Parse asks for the parse
	evClaimAsync                   // a ParseAsync asks for it
	evSettle                       // the reading call has its outcome
	evRelease                      // the starting ParseAsync gives it up unread (async mode would not start)
	evRun                          // the starting ParseAsync is in async mode, listening for its request's end
	evAbort                        // the request ended (or expired) while ParseAsync read
)

var eventNames = [...]string{"claim", "claimAsync", "settle", "release", "run", "abort"}

func (e parseEvent) String() string { return eventNames[e] }

// claimed is what transition tells the caller to do.
type claimed uint8

const (
	parseFirst claimed = iota // parse the body, then settle (or release)
	useStored                 // return the stored form and error
	refused                   // an async parse is under way, or a blocking one and the caller cannot wait: errParsing
	wait                      // a Parse reads: wait for its done, then claim again
	moved                     // a settle, release, run or abort took effect
	unchanged                 // an abort of a parse its reader still owns, or of none: nothing changes
)

// transition is the parse's state machine, the only place its state
// changes: the state after ev in s, and what the caller does. An event
// that cannot happen in s (a settle or release of a parse nobody reads)
// is an error, and the state stays.
func transition(s parseState, ev parseEvent) (parseState, claimed, error) {
	switch ev {
	case evClaim, evClaimAsync:
		switch s {
		case unparsed:
			if ev == evClaimAsync {
				return startingAsync, parseFirst, nil
			}
			return reading, parseFirst, nil
		case settled:
			return s, useStored, nil
		case reading:
			if ev == evClaim {
				// As concurrent Request.Form calls wait for the one
				// parse; ParseAsync must not block.
				return s, wait, nil
			}
			return s, refused, nil
		default: // startingAsync, readingAsync: its reading runs as tasks a waiting call would hold back
			return s, refused, nil
		}
	case evSettle:
		if s == reading || s == startingAsync || s == readingAsync {
			return settled, moved, nil
		}
	case evRelease:
		if s == startingAsync {
			return unparsed, moved, nil
		}
	case evRun:
		if s == startingAsync {
			return readingAsync, moved, nil
		}
	case evAbort:
		switch s {
		case readingAsync:
			return settled, moved, nil
		case unparsed, reading, startingAsync:
			// Nothing to abort (a reader let go), or a reader that ends
			// the parse itself: a blocking Parse, on its own goroutine,
			// or a ParseAsync's call before async mode (a claim from a
			// goroutine of the handler's found the request ended while
			// a late call's async.Start was failing), which releases or
			// settles it.
			return s, unchanged, nil
		case settled:
			// done ran first, or another end of the request aborted:
			// the outcome stands.
			return s, useStored, nil
		}
	}
	return s, 0, fmt.Errorf("formdata: %v in state %v", ev, s)
}

// step applies ev under p.mu, keeping form and err for a settle and
// waking the Parse calls that wait when a blocking parse ends. It returns
// what transition says, the stored outcome for useStored, and the channel
// to wait on for wait. It panics on an event transition refuses: a parse
// settled twice, or released after it settled, would hand two callers two
// outcomes.
func (p *parsed) step(ev parseEvent, f *Form, err error) (claimed, <-chan struct{}, *Form, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	next, c, terr := transition(p.state, ev)
	if terr != nil {
		panic(terr)
	}
	switch {
	case c == parseFirst && next == reading:
		p.done = make(chan struct{})
	case c == moved:
		if ev == evSettle || ev == evAbort {
			p.form, p.err = f, err
		}
		if p.done != nil {
			close(p.done)
			p.done = nil
		}
	}
	p.state = next
	switch c {
	case useStored:
		return c, nil, p.form, p.err
	case refused:
		return c, nil, nil, errParsing
	case wait:
		return c, p.done, nil, nil
	}
	return c, nil, nil, nil
}

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
	return ex.Value(parseKey{}, func() any { return &parsed{ex: ex} }).(*parsed)
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
	ev := evClaim
	if isAsync {
		ev = evClaimAsync
	}
	for {
		c, done, f, err := p.step(ev, nil, nil)
		if c == refused && p.abortIfEnded() {
			continue // settled now: the stored outcome
		}
		if c != wait {
			return c, f, err
		}
		<-done // then settled, or unparsed again: look again
	}
}

// abortIfEnded aborts a ParseAsync whose request has completed, for a
// call that comes before the upload's own OnComplete listener heard of
// the end (one registered earlier, by a filter): no task of the request
// runs any more, so its done never will. It reports whether the parse is
// settled now, by this abort or by its reader.
func (p *parsed) abortIfEnded() bool {
	if p.ex == nil {
		return false
	}
	res, ok := p.ex.Result()
	if !ok {
		return false
	}
	c, _, _, _ := p.step(evAbort, nil, aborted(res.Err))
	return c != unchanged
}

// run records that the ParseAsync reading p has started async mode and
// registered for its request's end: from now on that end aborts it.
func (p *parsed) run() {
	if p != nil {
		p.step(evRun, nil, nil)
	}
}

// abort settles a ParseAsync whose request ended, by cause (nil: it
// completed), before its done ran; after a settle it changes nothing.
func (p *parsed) abort(cause error) {
	if p != nil {
		p.step(evAbort, nil, aborted(cause))
	}
}

// aborted is the outcome of a parse its request outlived: ErrParseAborted,
// and what ended the request (the async timeout, the client gone) when
// there was a failure.
func aborted(cause error) error {
	if cause == nil {
		return ErrParseAborted
	}
	return fmt.Errorf("%w: %w", ErrParseAborted, cause)
}

// settle keeps the first call's outcome for the later ones.
func (p *parsed) settle(f *Form, err error) {
	if p != nil {
		p.step(evSettle, f, err)
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
	if p != nil {
		p.step(evRelease, nil, nil)
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
