package websocket

import (
	"bytes"
	"errors"
	"io"
	"math"
	"sync"

	"github.com/klauspost/compress/flate"
)

// permessage-deflate (RFC 7692), as Config.EnableCompression offers it:
// accepted (upgrade decides, on internal/wsext's reading of the client's
// offers, and writes wsext's answer on the 101) always with
// server_no_context_takeover and client_no_context_takeover, so each
// message is compressed alone and a connection keeps no compression state
// between messages: a quiet one costs what it does without compression.
// The flate readers and writers are lent by pools shared by every
// connection, for the length of one message.

// minDeflate is the smallest message Send compresses: below it deflate's
// own header and the work it takes outweigh what it could save.
const minDeflate = 128

// deflateLevel is what Send compresses with: the fastest level, as
// gorilla's default; a message goes out on the sender's goroutine.
const deflateLevel = flate.BestSpeed

// deflateTail completes a message's payload for the inflater: the end of
// the sync flush the sender took off (RFC 7692 §7.2.2), then an empty
// final stored block, so that the stream ends (io.EOF) where the message
// does.
const deflateTail = "\x00\x00\xff\xff\x01\x00\x00\xff\xff"

// errInflatedTooBig: a compressed message whose inflated size is over ReadLimit.
var errInflatedTooBig = errors.New("websocket: inflated message larger than ReadLimit")

// deflater is a flate writer and the buffer it writes to, lent together.
type deflater struct {
	fw  *flate.Writer
	out bytes.Buffer
}

// inflater is a flate reader and the payload it reads, lent together.
type inflater struct {
	fr io.ReadCloser // a flate.Resetter
	in deflatedInput
}

var (
	deflaters sync.Pool // of *deflater
	inflaters sync.Pool // of *inflater
)

// deflate returns data compressed as a message's payload (RFC 7692
// §7.2.1: the sync flush's last four bytes taken off), in a slice of its
// own for the send queue, or nil if that is not smaller than data: the
// message then goes as it is.
func deflate(data []byte) []byte {
	d, _ := deflaters.Get().(*deflater)
	if d == nil {
		d = new(deflater)
		d.fw, _ = flate.NewWriter(&d.out, deflateLevel) // the level is valid
	} else {
		d.fw.Reset(&d.out) // no context takeover: each message starts afresh
	}
	defer func() {
		d.out.Reset()
		if d.out.Cap() > 64<<10 {
			d.out = bytes.Buffer{} // do not keep a large message's buffer
		}
		deflaters.Put(d)
	}()
	if _, err := d.fw.Write(data); err != nil {
		return nil
	}
	if err := d.fw.Flush(); err != nil {
		return nil
	}
	z := bytes.TrimSuffix(d.out.Bytes(), []byte(deflateTail[:4]))
	if len(z) >= len(data) {
		return nil
	}
	return bytes.Clone(z)
}

// inflate returns the message whose compressed payload is p. A message
// that would be larger than limit fails with errInflatedTooBig once
// limit bytes came out, before more is allocated: a small payload may
// inflate to a thousand times its size.
func inflate(p []byte, limit int64) ([]byte, error) {
	f, _ := inflaters.Get().(*inflater)
	if f == nil {
		f = new(inflater)
		f.in = deflatedInput{p, deflateTail}
		f.fr = flate.NewReader(&f.in) // a ByteReader: no bufio.Reader of its own
	} else {
		f.in = deflatedInput{p, deflateTail}
		f.fr.(flate.Resetter).Reset(&f.in, nil)
	}
	defer func() {
		f.in = deflatedInput{}
		inflaters.Put(f)
	}()
	most := limit // the most bytes read: one past the limit tells it was passed
	if most < math.MaxInt64 {
		most++
	}
	out := make([]byte, 0, min(int64(max(2*len(p), 512)), most))
	for {
		if len(out) == cap(out) {
			// Grown as the bytes come, not to the limit at once.
			out = append(out, make([]byte, min(int64(cap(out)), most-int64(len(out))))...)[:len(out)]
		}
		n, err := f.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		switch {
		case int64(len(out)) > limit:
			return nil, errInflatedTooBig
		case err == io.EOF:
			return out, nil
		case err != nil:
			return nil, err
		}
	}
}

// deflatedInput is what an inflater reads: a payload, then the tail that
// completes it. It is an io.ByteReader, which spares the flate reader a
// buffer of its own.
type deflatedInput struct {
	p    []byte
	tail string
}

func (d *deflatedInput) Read(b []byte) (int, error) {
	if len(d.p) > 0 {
		n := copy(b, d.p)
		d.p = d.p[n:]
		return n, nil
	}
	if len(d.tail) > 0 {
		n := copy(b, d.tail)
		d.tail = d.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

func (d *deflatedInput) ReadByte() (byte, error) {
	switch {
	case len(d.p) > 0:
		c := d.p[0]
		d.p = d.p[1:]
		return c, nil
	case len(d.tail) > 0:
		c := d.tail[0]
		d.tail = d.tail[1:]
		return c, nil
	}
	return 0, io.EOF
}

// deflateLimit is the most bytes a compressed message may take on the
// wire under a ReadLimit of limit: a message that does not compress grows
// a little (5 bytes per stored block of up to 64 KiB, RFC 1951 §3.2.4),
// and is not refused for it; what it inflates to is held to limit itself.
func deflateLimit(limit int64) uint64 {
	return uint64(limit) + uint64(limit)/1024 + 64 // no wrap: limit < 2^63
}

// Prepared is a message made ready for many connections, as a broadcast
// sends it (Conn.SendPrepared): a text message is checked for UTF-8 once,
// and the message is compressed at most once, for every connection whose
// handshake accepted compression. They may all send the same compressed
// payload: each message is compressed alone (no context takeover), with
// the same window and level on every connection. A Prepared may be sent
// from many goroutines at once; as with Send, its data must not change
// afterwards.
type Prepared struct {
	op   byte
	data []byte
	once sync.Once
	z    []byte // data compressed once needed; nil if short or not smaller
}

// Prepare makes m ready for Conn.SendPrepared. It returns ErrInvalidUTF8
// for a text message that is not UTF-8.
func Prepare(m Message) (*Prepared, error) {
	op, err := opcode(m)
	if err != nil {
		return nil, err
	}
	return &Prepared{op: op, data: m.Data}, nil
}

// deflated is p's data compressed as deflate returns it, made by the
// first caller: a broadcast to connections that all declined compression
// compresses nothing.
func (p *Prepared) deflated() []byte {
	p.once.Do(func() { p.z = deflate(p.data) })
	return p.z
}
