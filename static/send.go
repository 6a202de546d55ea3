package static

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// sendRange is the one way a file's bytes become a body: every 200 and
// every single-range 206 calls it with the open file, the offset and the
// length to send. It sets Content-Length before it writes, so that the
// response is framed by length, never chunked, and writes nothing for HEAD.
//
// It reports whether it took ownership of f. This blocking version copies
// on the calling goroutine and returns once the bytes are written, so it
// never does, and the caller closes f. A non-blocking version (sendfile(2)
// of an *os.File on the epoll connector) may finish after it returns: it
// then reports true and closes f itself when the send completes (from an
// async.OnComplete hook), and the caller must not touch f again.
//
// A file shorter than its Stat said, found while writing, is an error:
// the head is out with its Content-Length, so the container aborts the
// connection rather than send a short body as a whole one.
func sendRange(w api.Response, r *api.Request, f fs.File, off, n int64) (owned bool, err error) {
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	if r.Method() == http.MethodHead || n == 0 {
		return false, nil
	}
	if of, ok := f.(*os.File); ok && n > copyMax && canSendFile(w) {
		if err := sendFile(r, of, off, n); err == nil {
			return true, nil
		}
		// Not in a dispatch that may go async (a forward from a task,
		// say): copy instead.
	}
	return false, copyRange(w, f, off, n)
}

// copyMax is the largest body sendRange copies where it could send the
// file without blocking: one that fits the response's buffer and a socket
// buffer goes out with the head in one write and holds nobody, at less
// cost than going async for it.
const copyMax = 16 << 10

// canSendFile reports whether w's connection writes without blocking (the
// epoll connector's cleartext HTTP/1.1), with nothing between the handler
// and it that changes the body (a compressing filter answers false).
func canSendFile(w api.Response) bool {
	nb, ok := api.As[api.NonBlockingWriter](w)
	return ok && nb.NonBlocking()
}

// sendFile sends n bytes of f from off after the handler returns: the
// request goes async, and its Output sends the file with sendfile(2) as
// the client takes it, holding no goroutine while the client is slow, and
// no copy of the file. The async timeout is lifted (a download lasts as
// long as the client reads); the connection's write timeout and minimum
// data rate still end a stalled one. f is closed when the request
// completes, however it ends.
func sendFile(r *api.Request, f *os.File, off, n int64) error {
	a, err := async.Start(r)
	if err != nil {
		return err
	}
	// From here the request is async: the send must be set up or fail it,
	// not fall back to a copy on a response nobody completes.
	if err := async.OnComplete(r, func(error) { f.Close() }); err != nil {
		f.Close() // completed already: nothing will send it
		return nil
	}
	a.SetTimeout(-1)
	fw := &fileWriter{f: f, off: off, n: n}
	if fw.out, err = a.SetWriteListener(fw); err != nil {
		a.Fail(err)
	}
	return nil
}

// fileWriter is the write listener of one file sent without blocking.
type fileWriter struct {
	out    *async.Output
	f      *os.File
	off, n int64
	queued bool
}

func (fw *fileWriter) OnWritePossible(api.Response) {
	if fw.queued {
		return
	}
	fw.queued = true
	if err := fw.out.SendFile(fw.f, fw.off, fw.n); err != nil {
		return // the Output failed already and completes the request
	}
	fw.out.Complete()
}

// OnError needs nothing: the Output completes the request with the error,
// and the container aborts the connection (the head promised more bytes).
func (fw *fileWriter) OnError(api.Response, error) {}

// errShortFile is the cause when a file ends before the bytes announced.
var errShortFile = errors.New("static: file shorter than its size")

// copyRange copies n bytes of f from off to w with a pooled buffer. It is
// sendRange's blocking path, and what writes the parts of a
// multipart/byteranges body.
func copyRange(w io.Writer, f fs.File, off, n int64) error {
	buf := getBuffer()
	defer putBuffer(buf)
	if ra, ok := f.(io.ReaderAt); ok {
		// ReadAt straight into the buffer: no reader to allocate, and no
		// position to share with anyone.
		if err := copyAt(w, ra, off, n, *buf); err != nil {
			return fmt.Errorf("static: sending %d bytes at %d: %w", n, off, err)
		}
		return nil
	}
	src, err := section(f, off, n)
	if err != nil {
		return err
	}
	// CopyBuffer would hand the copy to a WriterTo or ReaderFrom, with
	// their own buffers; the wrappers keep it to ours.
	written, err := io.CopyBuffer(writerOnly{w}, readerOnly{src}, *buf)
	if err == nil && written < n {
		err = errShortFile
	}
	if err != nil {
		return fmt.Errorf("static: sending %d bytes at %d: %w", n, off, err)
	}
	return nil
}

// copyAt copies n bytes of ra from off to w through buf.
func copyAt(w io.Writer, ra io.ReaderAt, off, n int64, buf []byte) error {
	for n > 0 {
		k, err := ra.ReadAt(buf[:min(n, int64(len(buf)))], off)
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return werr
			}
			off, n = off+int64(k), n-int64(k)
		}
		switch {
		case n == 0:
			return nil
		case err == io.EOF:
			return errShortFile
		case err != nil:
			return err
		case k == 0:
			return io.ErrNoProgress
		}
	}
	return nil
}

// section returns a reader of n bytes from off of a file without ReadAt
// (embed, os and fstest files all have it): by seeking, else by skipping.
func section(f fs.File, off, n int64) (io.Reader, error) {
	if s, ok := f.(io.Seeker); ok {
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			return nil, fmt.Errorf("static: %w", err)
		}
		return io.LimitReader(f, n), nil
	}
	if off != 0 {
		if _, err := io.CopyN(io.Discard, f, off); err != nil {
			return nil, fmt.Errorf("static: skipping to %d: %w", off, err)
		}
	}
	return io.LimitReader(f, n), nil
}

// readAt reads len(p) bytes of f from off, as io.ReaderAt does, for files
// with or without ReadAt. Without it the file's position moves: section
// seeks again before sending.
func readAt(f fs.File, p []byte, off int64) (int, error) {
	if ra, ok := f.(io.ReaderAt); ok {
		return ra.ReadAt(p, off)
	}
	if s, ok := f.(io.Seeker); ok {
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			return 0, err
		}
	}
	return io.ReadFull(f, p)
}

type writerOnly struct{ io.Writer }
type readerOnly struct{ io.Reader }

// bufferSize is the copy buffer: large enough that a body goes out in few
// writes, small enough to pool.
const bufferSize = 32 << 10

// buffers is shared by every Handler: it holds no state, only memory to
// reuse.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, bufferSize)
	return &b
}}

func getBuffer() *[]byte  { return buffers.Get().(*[]byte) }
func putBuffer(b *[]byte) { buffers.Put(b) }
