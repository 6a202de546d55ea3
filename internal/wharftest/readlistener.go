package wharftest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// CountingListener is an async.ReadListener that reads a request's whole
// body, counting its bytes, then answers "listener N, " and its Note and
// completes the request; with Redispatch it re-dispatches the request
// instead, with itself as the attribute ListenerKey{}, for the handler to
// look at the body again.
//
// Its fields are the request's: written by the handler that set the
// listener before it returns, then by the listener's callbacks, which
// the request's executor runs in turn.
type CountingListener struct {
	A          *async.Context
	In         *async.Input
	Redispatch bool
	N          int    // body bytes read so far
	Note       string // what the handler saw, for the answer
}

// ListenerKey is the attribute under which a re-dispatched request
// carries its CountingListener.
type ListenerKey struct{}

// StartCountingListener puts r in async mode and sets a CountingListener
// as its ReadListener.
func StartCountingListener(r *api.Request, redispatch bool) (*CountingListener, error) {
	a, err := async.Start(r)
	if err != nil {
		return nil, err
	}
	l := &CountingListener{A: a, Redispatch: redispatch}
	if l.In, err = a.SetReadListener(l); err != nil {
		return nil, err
	}
	return l, nil
}

// OnDataAvailable reads what came, a few bytes at a time, so that a body
// takes many reads.
func (l *CountingListener) OnDataAvailable(api.Response) {
	var buf [4]byte
	for {
		n, err := l.In.Read(buf[:])
		l.N += n
		if err != nil {
			return
		}
	}
}

// OnAllDataRead answers, or re-dispatches.
func (l *CountingListener) OnAllDataRead(w api.Response) {
	if l.Redispatch {
		l.A.Redispatch(api.Attr{Key: ListenerKey{}, Value: l})
		return
	}
	fmt.Fprintf(w, "listener %d, %s", l.N, l.Note)
	l.A.Complete()
}

// OnError answers with the error.
func (l *CountingListener) OnError(w api.Response, err error) {
	fmt.Fprintf(w, "listener error after %d: %v", l.N, err)
	l.A.Complete()
}

// ListenerRefusal says whether err is the refusal of a blocking read of
// a body that a ReadListener has: an api.ErrWrongState naming the
// listener.
func ListenerRefusal(err error) bool {
	return errors.Is(err, api.ErrWrongState) && strings.Contains(err.Error(), "ReadListener")
}
