package connector

import (
	"context"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
)

// InvocationTyper is implemented by Handlers that know, from a request
// head, whether serving it may block. The epoll connector runs NonBlocking
// requests on the producing goroutine (PC); everything else may block and
// goes through the strategy's EPC or PEC. The container implements it from
// its mapping: a handler declares its type with api.Invoker.
type InvocationTyper interface {
	InvocationType(head *api.RequestHead) api.InvocationType
}

func (s *Server) invocationType(st *stream) api.InvocationType {
	if it, ok := s.Handler.(InvocationTyper); ok {
		return it.InvocationType(&st.req)
	}
	return api.Blocking
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

// execute runs t on the executor; a refused task runs on its own goroutine
// rather than leave a connection stranded.
func (s *Server) execute(t dispatcher.Task) {
	if err := s.executor().Execute(t); err != nil {
		go t.Run()
	}
}

// closeExecutor closes the executor if the server made it.
func (s *Server) closeExecutor() {
	s.mu.Lock()
	ex := s.ownExec
	s.mu.Unlock()
	if ex != nil {
		ex.Close(context.Background())
	}
}
