package container

import (
	"errors"
	"os"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
)

// The output writes without blocking when its stream can (the epoll
// connector's cleartext HTTP/1.1): see api.NonBlockingWriter.
var _ api.NonBlockingWriter = (*output)(nil)

// nb returns the stream's non-blocking writer, if it has a working one.
func (o *output) nb() connector.NonBlockingWriter {
	if w, ok := o.s.(connector.NonBlockingWriter); ok && w.NonBlocking() {
		return w
	}
	return nil
}

// NonBlocking implements api.NonBlockingWriter.
func (o *output) NonBlocking() bool { return o.nb() != nil }

// commitNow commits the head, if it is not sent yet, and hands the
// buffered body to the stream without blocking: ready reports that the
// stream sent all of it.
func (o *output) commitNow(w connector.NonBlockingWriter) (ready bool, err error) {
	if !o.committed {
		if err := o.commitHead(-1); err != nil {
			return false, err
		}
	}
	if len(o.buf) == 0 {
		return true, nil
	}
	n := len(o.buf)
	ready, err = w.WriteBodyNow(o.buf)
	o.buf = o.buf[:0]
	if err != nil {
		o.fail(err)
		return false, err
	}
	o.sent(n)
	return ready, nil
}

// WriteNow implements api.NonBlockingWriter.
func (o *output) WriteNow(p []byte) (bool, error) {
	w := o.nb()
	if w == nil {
		return false, api.ErrNotSupported
	}
	if err := o.check(); err != nil {
		return false, err
	}
	if err := o.bodyRefused(int64(len(p))); err != nil { // a nil p, a flush, is let through
		return false, err
	}
	if err := o.overLength(int64(len(p))); err != nil { // refused before the head goes, as Write refuses it
		return false, err
	}
	if !o.committed {
		p = o.sniffAhead(p) // the head's type is sniffed from what p begins with, as Write's is
	}
	if _, err := o.commitNow(w); err != nil {
		return false, err
	}
	ready, err := w.WriteBodyNow(p)
	if err != nil {
		o.writeFailed(err)
		return false, err
	}
	o.sent(len(p))
	return ready, nil
}

// SendFileNow implements api.NonBlockingWriter.
func (o *output) SendFileNow(f *os.File, off, n int64) (int64, error) {
	w := o.nb()
	if w == nil {
		return 0, api.ErrNotSupported
	}
	if err := o.check(); err != nil {
		return 0, err
	}
	if err := o.bodyRefused(n); err != nil {
		return 0, err
	}
	if err := o.overLength(n); err != nil {
		return 0, err
	}
	if !o.committed {
		o.sniffFile(f, off, n)
	}
	if ready, err := o.commitNow(w); !ready || err != nil {
		return 0, err
	}
	sent, err := w.SendFileNow(f, off, n)
	o.sent(int(sent))
	if err != nil && !errors.Is(err, api.ErrNotSupported) { // not a failure of the stream
		o.writeFailed(err)
	}
	return sent, err
}

// sniffFile types a head that SendFileNow is about to commit with what the
// body begins with, the buffered bytes and then the file's, as Write's
// head is typed (sniffAhead): the file's bytes go by sendfile(2), never
// through the buffer the head is otherwise sniffed from. A file that
// cannot be read here is left to the send, which reports it.
func (o *output) sniffFile(f *os.File, off, n int64) {
	if n <= 0 || len(o.buf) >= sniffLen || o.ctype != "" || headerValue(o.header, "Content-Type") != "" || noSniff(o.header) || o.bodyless() {
		return
	}
	var b [sniffLen]byte
	k := copy(b[:], o.buf)
	m, _ := f.ReadAt(b[k:k+int(min(int64(sniffLen-k), n))], off)
	if k+m == 0 {
		return
	}
	o.sniffType(b[:k+m])
}

// NotifyWritable implements api.NonBlockingWriter.
func (o *output) NotifyWritable(f func()) {
	if w := o.nb(); w != nil {
		w.NotifyWritable(f)
		return
	}
	f()
}
