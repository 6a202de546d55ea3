package connector_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// tls13Writer sends TLS 1.3 records as the client of a crypto/tls
// connection, from the traffic secret its key log gave: what crypto/tls's
// client cannot send (a KeyUpdate, a warning alert, an empty record). It
// takes the connection's writes over; the tls.Conn still reads.
type tls13Writer struct {
	raw    net.Conn
	hash   func() hash.Hash
	keyLen int
	secret []byte
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
}

// newTLS13Writer takes over the writes of tc, whose client has sent seq
// records since its handshake, over raw, its socket.
func newTLS13Writer(t *testing.T, raw net.Conn, tc *tls.Conn, keyLog *bytes.Buffer, seq uint64) *tls13Writer {
	t.Helper()
	w := &tls13Writer{raw: raw, seq: seq}
	switch tc.ConnectionState().CipherSuite {
	case tls.TLS_AES_128_GCM_SHA256:
		w.hash, w.keyLen = sha256.New, 16
	case tls.TLS_AES_256_GCM_SHA384:
		w.hash, w.keyLen = sha512.New384, 32
	default:
		t.Skipf("cipher suite %s: not one this test encrypts", tls.CipherSuiteName(tc.ConnectionState().CipherSuite))
	}
	for line := range strings.Lines(keyLog.String()) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "CLIENT_TRAFFIC_SECRET_0" {
			w.secret, _ = hex.DecodeString(f[2])
		}
	}
	if w.secret == nil {
		t.Fatal("no client traffic secret in the key log")
	}
	w.keys(t)
	return w
}

// expandLabel is TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) of the
// current secret, with an empty context.
func (w *tls13Writer) expandLabel(t *testing.T, label string, n int) []byte {
	t.Helper()
	info := append([]byte{byte(n >> 8), byte(n), byte(len("tls13 " + label))}, "tls13 "+label...)
	b, err := hkdf.Expand(w.hash, w.secret, string(append(info, 0)), n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *tls13Writer) keys(t *testing.T) {
	t.Helper()
	block, err := aes.NewCipher(w.expandLabel(t, "key", w.keyLen))
	if err != nil {
		t.Fatal(err)
	}
	if w.aead, err = cipher.NewGCM(block); err != nil {
		t.Fatal(err)
	}
	w.iv = w.expandLabel(t, "iv", 12)
}

// send seals content as one record of type typ.
func (w *tls13Writer) send(t *testing.T, typ byte, content []byte) {
	t.Helper()
	if _, err := w.raw.Write(w.seal(typ, content)); err != nil {
		t.Fatal(err)
	}
}

// seal is send's record, returned rather than sent.
func (w *tls13Writer) seal(typ byte, content []byte) []byte {
	n := len(content) + 1 + w.aead.Overhead()
	hdr := []byte{0x17, 0x03, 0x03, byte(n >> 8), byte(n)}
	nonce := bytes.Clone(w.iv)
	for i := range 8 {
		nonce[11-i] ^= byte(w.seq >> (8 * i))
	}
	w.seq++
	return w.aead.Seal(bytes.Clone(hdr), nonce, append(bytes.Clone(content), typ), hdr)
}

// keyUpdate sends a KeyUpdate, asking for the server's if request, and
// moves to the next traffic secret.
func (w *tls13Writer) keyUpdate(t *testing.T, request bool) {
	t.Helper()
	if _, err := w.raw.Write(w.sealKeyUpdate(t, request)); err != nil {
		t.Fatal(err)
	}
}

// sealKeyUpdate is keyUpdate's record, returned rather than sent.
func (w *tls13Writer) sealKeyUpdate(t *testing.T, request bool) []byte {
	t.Helper()
	msg := []byte{24, 0, 0, 1, 0}
	if request {
		msg[4] = 1
	}
	rec := w.seal(0x16, msg)
	w.secret = w.expandLabel(t, "traffic upd", w.hash().Size())
	w.seq = 0
	w.keys(t)
	return rec
}

// sendKeyUpdated sends head one byte a record, each after a KeyUpdate
// that asks for the peer's, all in one write: the peer has the whole head
// at once, however long a full receive buffer keeps the client from
// hearing so. (crypto/tls ends a connection after 16 records in a row
// that carry no data, hence a byte of the head after each KeyUpdate.)
func (w *tls13Writer) sendKeyUpdated(t *testing.T, head string) {
	t.Helper()
	var recs []byte
	for i := range len(head) {
		recs = append(recs, w.sealKeyUpdate(t, true)...)
		recs = append(recs, w.seal(0x17, []byte{head[i]})...)
	}
	if _, err := w.raw.Write(recs); err != nil {
		t.Fatal(err)
	}
}

// dialTLS13 connects a TLS 1.3 client to addr, its key log kept for
// newTLS13Writer; the socket closes when the test ends.
func dialTLS13(t *testing.T, addr string) (net.Conn, *tls.Conn, *bytes.Buffer) {
	t.Helper()
	return dialTLS13With(t, new(net.Dialer), addr)
}

// dialTLS13With is dialTLS13 with d's socket (a small buffer, say).
func dialTLS13With(t *testing.T, d *net.Dialer, addr string) (net.Conn, *tls.Conn, *bytes.Buffer) {
	t.Helper()
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(2 * wharftest.Patience))
	keyLog := new(bytes.Buffer)
	a := tls.Client(raw, &tls.Config{
		InsecureSkipVerify: true, NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS13, KeyLogWriter: keyLog,
	})
	return raw, a, keyLog
}

// newServerRecords returns the keys of the server's side of tc for a test
// that reads its records without crypto/tls (which refuses many
// KeyUpdates in a row): its traffic secret from the key log, updated as
// many times as updates says.
func newServerRecords(t *testing.T, raw net.Conn, tc *tls.Conn, keyLog *bytes.Buffer, updates int) *tls13Writer {
	t.Helper()
	r := newTLS13Writer(t, raw, tc, keyLog, 0)
	r.secret = nil
	for line := range strings.Lines(keyLog.String()) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "SERVER_TRAFFIC_SECRET_0" {
			r.secret, _ = hex.DecodeString(f[2])
		}
	}
	if r.secret == nil {
		t.Fatal("no server traffic secret in the key log")
	}
	for range updates {
		r.secret = r.expandLabel(t, "traffic upd", r.hash().Size())
	}
	r.keys(t)
	return r
}

// readRecord reads one whole record from raw: its 5-byte header and its
// encrypted content.
func readRecord(raw net.Conn) (hdr, rec []byte, err error) {
	hdr = make([]byte, 5)
	if _, err := io.ReadFull(raw, hdr); err != nil {
		return nil, nil, err
	}
	rec = make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(raw, rec); err != nil {
		return hdr, nil, fmt.Errorf("cut short: %w", err)
	}
	return hdr, rec, nil
}
