package connector

import (
	"context"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
)

// Preparer is implemented by Handlers that map a request once, before the
// connector decides where it runs. The epoll connector runs NonBlocking
// requests on the producing goroutine (PC); everything else may block and
// goes through the strategy's EPC or PEC. It asks the Preparer where the
// head was read (the producer, or the goroutine that finished the
// connection's previous, suspended request), then starts the Prepared
// request on whichever goroutine it chose, so the request is mapped once, not once to classify
// it and again to serve it. The container implements it from its mapping:
// a handler and its filters declare their type with api.Invoker. A Handler
// that does not implement it is served through ServeStream, as Blocking.
type Preparer interface {
	Prepare(s Stream) Prepared
}

// Prepared is a request a Preparer has mapped and not yet started.
type Prepared interface {
	// InvocationType says whether serving it may block.
	InvocationType() api.InvocationType
	// Start does what ServeStream would have done, on the calling
	// goroutine; it is called once.
	Start()
}

// prepare maps st through the Handler, if it can, and returns how it may
// be invoked; serve then starts what was prepared.
func (s *Server) prepare(st *stream) api.InvocationType {
	p, ok := s.Handler.(Preparer)
	if !ok {
		return api.Blocking
	}
	st.prepared = p.Prepare(st)
	return st.prepared.InvocationType()
}

// serve starts st: what prepare mapped, or the Handler's ServeStream.
func (s *Server) serve(st *stream) {
	if p := st.prepared; p != nil {
		st.prepared = nil
		p.Start()
		return
	}
	s.Handler.ServeStream(st)
}

// executor returns the configured executor, or the server's own.
func (s *Server) executor() dispatcher.Executor {
	if s.Config.Executor != nil {
		return s.Config.Executor
	}
	s.execOnce.Do(func() {
		s.ownExec = dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{Logger: s.Config.Logger})
	})
	return s.ownExec
}

// goNow runs t on a goroutine now: an idle worker of the executor's, or a
// goroutine of its own; never queued behind the executor's other work.
func (s *Server) goNow(t dispatcher.Task) {
	if !s.executor().TryExecute(t) {
		go t.Run()
	}
}

// execute runs t on the executor; a refused task runs on its own goroutine
// rather than leave a connection stranded.
func (s *Server) execute(t dispatcher.Task) {
	if err := s.executor().Execute(t); err != nil {
		go t.Run()
	}
}

// closeExecutor closes the executor if the server made it, waiting for
// the tasks it runs (handlers among them) while ctx lasts, unless a
// handler that hijacked its connection may be among them: it may run for
// as long as it keeps the connection, which Shutdown does not wait for.
func (s *Server) closeExecutor(ctx context.Context) {
	s.mu.Lock()
	ex := s.ownExec
	s.mu.Unlock()
	if ex == nil {
		return
	}
	if s.hijacking.Load() > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		cancel()
	}
	ex.Close(ctx)
}
