package exchange

import (
	"bufio"
	"net"
	"net/http"
	"os"

	"github.com/wharf-go/wharf/api"
)

// The Responses of an exchange's first three tasks and of its finishing
// phase, and the one Current gives when no task runs, are the Exchange
// itself, seen through pinned: a pointer conversion, so they need neither
// an allocation nor room in the Exchange, as a handle would. Most requests
// run one task; a suspended one runs one or two more (a resume's dispatch;
// a timeout's expired dispatch, after a task for its OnTimeout listeners
// if it has any). The first task's
// token and the finishing phase's are fixed in advance: nextToken hands
// out firstToken only first, and never finishToken (nor 0). The second
// and third tasks' tokens come back after the counter wraps, as any other
// task's do, and their Responses behave as a handle with that token would.
const (
	firstToken  uint32 = 1
	secondToken uint32 = firstToken + 1
	thirdToken  uint32 = firstToken + 2
	finishToken uint32 = 1<<32 - 1
)

// fixedToken names a token known at compile time.
type fixedToken interface{ token() uint32 }

type (
	noTask     struct{} // token 0: no task runs; its Response is stale at once
	firstTask  struct{} // the token of the exchange's first task
	secondTask struct{} // the token of its second
	thirdTask  struct{} // the token of its third
	finishing  struct{} // the token of the finishing phase
)

func (noTask) token() uint32     { return 0 }
func (firstTask) token() uint32  { return firstToken }
func (secondTask) token() uint32 { return secondToken }
func (thirdTask) token() uint32  { return thirdToken }
func (finishing) token() uint32  { return finishToken }

// pinned is an Exchange as the Response of the task whose token T fixes:
// it behaves exactly as a handle with that token.
type pinned[T fixedToken] Exchange

// Every pinned type has the handle's methods; one instance checks them.
var (
	_ api.Response          = (*pinned[firstTask])(nil)
	_ api.ContentTypeSetter = (*pinned[firstTask])(nil)
	_ api.Hijacker          = (*pinned[firstTask])(nil)
	_ api.Tunneler          = (*pinned[firstTask])(nil)
	_ api.NonBlockingWriter = (*pinned[firstTask])(nil)
	_ Discarder             = (*pinned[firstTask])(nil)
)

// h returns the handle p stands for, by value: it stays on the stack.
func (p *pinned[T]) h() handle {
	var t T
	return handle{ex: (*Exchange)(p), token: t.token()}
}

func (p *pinned[T]) Header() http.Header                          { return p.h().Header() }
func (p *pinned[T]) SetContentType(v string)                      { p.h().SetContentType(v) }
func (p *pinned[T]) Status() int                                  { return p.h().Status() }
func (p *pinned[T]) SetStatus(code int) error                     { return p.h().SetStatus(code) }
func (p *pinned[T]) Write(b []byte) (int, error)                  { return p.h().Write(b) }
func (p *pinned[T]) WriteString(s string) (int, error)            { return p.h().WriteString(s) }
func (p *pinned[T]) Flush() error                                 { return p.h().Flush() }
func (p *pinned[T]) Committed() bool                              { return p.h().Committed() }
func (p *pinned[T]) Reset() error                                 { return p.h().Reset() }
func (p *pinned[T]) Discard() error                               { return p.h().Discard() }
func (p *pinned[T]) Trailer() http.Header                         { return p.h().Trailer() }
func (p *pinned[T]) Hijack() (net.Conn, *bufio.ReadWriter, error) { return p.h().Hijack() }
func (p *pinned[T]) Tunnel() (api.Tunnel, error)                  { return p.h().Tunnel() }
func (p *pinned[T]) NonBlocking() bool                            { return p.h().NonBlocking() }
func (p *pinned[T]) WriteNow(b []byte) (bool, error)              { return p.h().WriteNow(b) }
func (p *pinned[T]) NotifyWritable(f func())                      { p.h().NotifyWritable(f) }
func (p *pinned[T]) SendFileNow(f *os.File, off, n int64) (int64, error) {
	return p.h().SendFileNow(f, off, n)
}
