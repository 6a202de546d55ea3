package async_test

import (
	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// The doc comments of Func and Listener spell out their types, which go
// doc does not show through the aliases to the engine's: these
// declarations stop compiling when the engine's types change, and the
// comments must then change with them.
var (
	_ async.Func = func(w api.Response) {}
	_            = async.Listener{
		OnTimeout:  func(w api.Response, r *api.Request) {},
		OnError:    func(w api.Response, r *api.Request, err error) {},
		OnComplete: func(r *api.Request, err error) {},
	}
)
