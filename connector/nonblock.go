package connector

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/h1"
)

// NonBlockingWriter is an optional interface of a Stream whose connection
// can be written without parking the calling goroutine: the epoll
// connector's cleartext HTTP/1.1 streams. A response written through it
// holds no goroutine while the client is slow to read: the writer writes
// what the socket takes, asks to be told when it takes more, and returns.
//
// Its methods, like the rest of a Stream's writing side, are called by one
// goroutine at a time (the request's serialized tasks). NonBlocking
// reports whether the others work on this stream; when it reports false
// they return api.ErrNotSupported.
type NonBlockingWriter interface {
	NonBlocking() bool
	// WriteBodyNow frames p (copied) behind the bytes not yet sent and
	// writes what the socket takes now, after WriteHead. flushed reports
	// that nothing is left unsent; when false, wait for NotifyWritable
	// before writing more.
	WriteBodyNow(p []byte) (flushed bool, err error)
	// SendFileNow sends the unsent bytes, then up to n bytes of f from off
	// with sendfile(2), as far as the socket takes them now, and returns
	// how many bytes of the file went (fewer than n: wait for
	// NotifyWritable). The response must have a Content-Length.
	SendFileNow(f *os.File, off, n int64) (int64, error)
	// NotifyWritable calls cb once, on any goroutine, when the socket may
	// take more bytes or has failed; cb must not block. The wait is bounded
	// by the write timeout and the minimum response data rate: past them
	// the connection is closed, cb is called, and the next write fails with
	// an error wrapping os.ErrDeadlineExceeded (and ErrTooSlow when the
	// data rate ended the wait), as a blocking write's would.
	NotifyWritable(cb func())
}

var _ NonBlockingWriter = (*stream)(nil)

// nbIO is the connIO of a connection that can be written without parking
// (the epoll connector's fdConn).
type nbIO interface {
	plain() bool // false over TLS: the writes below bypass it
	writeNow(p []byte) (int, error)
	sendfileNow(file int, off *int64, n int) (int, error)
	notifyWritable(cb func(), to time.Duration)
	writeExpired() bool
	// clock is the connection's clock (its selector's), never zero:
	// instants on it take 8 bytes.
	clock() time.Duration
}

// isAgain reports the error nbIO's writes return when the socket buffer
// is full (netpoll.ErrAgain, which is syscall.EAGAIN itself).
func isAgain(err error) bool { return err == syscall.EAGAIN }

func (s *stream) nb() nbIO {
	if w, ok := s.c.io.(nbIO); ok && w.plain() {
		return w
	}
	return nil
}

// NonBlocking implements NonBlockingWriter.
func (s *stream) NonBlocking() bool { return s.nb() != nil }

// writeCheck is what every write checks first.
func (s *stream) writeCheck() error {
	switch {
	case s.finished:
		return api.ErrCompleted // see WriteBody
	case s.werr != nil:
		return s.werr
	case s.hijacked:
		return api.ErrHijacked
	case !s.headSent:
		return api.ErrWrongState
	}
	return nil
}

// WriteBodyNow implements NonBlockingWriter.
func (s *stream) WriteBodyNow(p []byte) (bool, error) {
	w := s.nb()
	if w == nil {
		return false, api.ErrNotSupported
	}
	if err := s.writeCheck(); err != nil {
		return false, err
	}
	if s.length >= 0 && s.written+int64(len(p)) > s.length {
		s.closeAfter = true
		return false, http.ErrContentLength
	}
	s.written += int64(len(p))
	if len(p) > 0 && !s.noBody {
		c := s.c
		if c.wbuf == nil {
			c.wbuf = c.srv.getReadBuffer()[:0]
		}
		if s.chunked {
			c.wbuf = h1.AppendChunkEnd(append(h1.AppendChunkHeader(c.wbuf, len(p)), p...))
		} else {
			c.wbuf = append(c.wbuf, p...)
		}
	}
	return s.flushNow(w)
}

// flushNow writes the unsent bytes (c.wbuf) as far as the socket takes
// them, keeping the rest at the front of c.wbuf.
func (s *stream) flushNow(w nbIO) (bool, error) {
	s.waitedNow(w)
	c := s.c
	for len(c.wbuf) > 0 {
		n, err := w.writeNow(c.wbuf)
		switch {
		case n > 0:
			s.out.Moved(n)
			c.wbuf = c.wbuf[:copy(c.wbuf, c.wbuf[n:])]
		case isAgain(err):
			return false, nil
		default:
			return false, s.nbFail(w, err)
		}
	}
	// Everything went: a response that waits for its next bytes (an event
	// stream) holds no buffer meanwhile.
	c.releaseWriteBuffer()
	return true, nil
}

// SendFileNow implements NonBlockingWriter.
func (s *stream) SendFileNow(f *os.File, off, n int64) (int64, error) {
	w := s.nb()
	if w == nil {
		return 0, api.ErrNotSupported
	}
	if err := s.writeCheck(); err != nil {
		return 0, err
	}
	if s.chunked || s.length < 0 {
		return 0, fmt.Errorf("connector: SendFileNow needs a Content-Length: %w", api.ErrNotSupported)
	}
	if s.written+n > s.length {
		s.closeAfter = true
		return 0, http.ErrContentLength
	}
	if s.noBody {
		s.written += n
		return n, nil
	}
	if flushed, err := s.flushNow(w); !flushed || err != nil {
		return 0, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var sent int64
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		for sent < n && serr == nil {
			k, err := w.sendfileNow(int(fd), &off, int(min(n-sent, 1<<30)))
			switch {
			case k > 0:
				sent += int64(k)
			case isAgain(err):
				return
			case err == nil: // the file ended before n bytes
				serr = fmt.Errorf("connector: %s ended %d bytes early: %w", f.Name(), n-sent, errShortFile)
			default:
				serr = s.nbFail(w, err)
			}
		}
	})
	s.written += sent
	s.out.Moved(int(sent))
	if serr == nil {
		serr = cerr
	}
	if serr != nil {
		s.werr = serr
		s.closeAfter = true
	}
	return sent, serr
}

// errShortFile says a file had fewer bytes than its response announced.
var errShortFile = errors.New("file shorter than announced")

// NotifyWritable implements NonBlockingWriter.
func (s *stream) NotifyWritable(cb func()) {
	w := s.nb()
	if w == nil {
		cb()
		return
	}
	// The wait earns the time of what it is for: the bytes held, or a
	// piece of a file.
	k := len(s.c.wbuf)
	if k == 0 {
		k = writePiece
	}
	to, slow := s.outTimeout(k)
	s.waitStart, s.waitSlow = w.clock(), slow
	w.notifyWritable(cb, to)
}

// waitedNow counts the wait since NotifyWritable, if any, toward the
// response's data rate.
func (s *stream) waitedNow(w nbIO) {
	if s.waitStart != 0 {
		s.out.Waited(w.clock() - s.waitStart)
		s.waitStart = 0
	}
}

// nbFail records a failed non-blocking write: as too slow if the wait
// before it expired, as the client gone if it left.
func (s *stream) nbFail(w nbIO, err error) error {
	switch {
	case w.writeExpired() && s.waitSlow:
		err = fmt.Errorf("%w: %w: %w", ErrTooSlow, os.ErrDeadlineExceeded, err)
	case w.writeExpired():
		err = fmt.Errorf("connector: %w: %w", os.ErrDeadlineExceeded, err)
	default:
		err = peerGone(err)
	}
	s.werr = err
	s.closeAfter = true
	return err
}
