package netpoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// connWithEvents returns a Conn on fd whose events a goroutine hands over
// as a selector does, until the test ends.
func connWithEvents(t *testing.T, fd int) *Conn {
	t.Helper()
	c := &Conn{FD: fd}
	p := newPoller(t)
	if err := p.Add(fd, Readable|Writable|PeerClosed|EdgeTriggered, 1); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		evs := make([]Event, 8)
		for !stop.Load() {
			n, err := p.Wait(evs)
			if err != nil {
				return
			}
			for i := range evs[:n] {
				c.Mu.Lock()
				w := c.ApplyLocked(evs[i].Events())
				c.Mu.Unlock()
				w.Signal()
			}
		}
	}()
	t.Cleanup(func() { stop.Store(true); p.Wake(); <-done })
	return c
}

func TestConnReadParksUntilReadable(t *testing.T) {
	a, b := socketPair(t)
	c := connWithEvents(t, a)
	time.AfterFunc(20*time.Millisecond, func() { unix.Write(b, []byte("hello")) })
	buf := make([]byte, 16)
	n, err := c.Read(buf, 5*time.Second)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %q, %v; want hello", buf[:n], err)
	}
	unix.Close(b)
	if n, err := c.Read(buf, 5*time.Second); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed = %d, %v; want io.EOF", n, err)
	}
}

func TestConnReadNow(t *testing.T) {
	a, b := socketPair(t)
	c := &Conn{FD: a}
	buf := make([]byte, 4)
	if _, err := c.ReadNow(buf); err != ErrAgain {
		t.Fatalf("ReadNow on an empty socket: %v, want ErrAgain", err)
	}
	write(t, b, "x")
	if n, err := c.ReadNow(buf); n != 1 || err != nil {
		t.Fatalf("ReadNow = %d, %v", n, err)
	}
}

func TestConnReadTimeoutAndNoPark(t *testing.T) {
	a, _ := socketPair(t)
	c := &Conn{FD: a}
	buf := make([]byte, 4)
	start := time.Now()
	if _, err := c.Read(buf, 30*time.Millisecond); err != os.ErrDeadlineExceeded {
		t.Fatalf("Read with nothing to read: %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("Read gave up after %v, before its timeout", d)
	}
	c.NoPark = true
	if _, err := c.Read(buf, 0); err != ErrWouldPark {
		t.Fatalf("Read with NoPark: %v, want ErrWouldPark", err)
	}
	if _, err := c.Writev([][]byte{make([]byte, 8<<20)}, 0); err != ErrWouldPark {
		t.Fatalf("Writev past the buffer with NoPark: %v, want ErrWouldPark", err)
	}
}

func TestConnBreakWakesReader(t *testing.T) {
	a, _ := socketPair(t)
	c := connWithEvents(t, a)
	time.AfterFunc(20*time.Millisecond, c.Break)
	buf := make([]byte, 4)
	if _, err := c.Read(buf, 5*time.Second); err != io.EOF {
		t.Fatalf("Read on a broken socket: %v, want io.EOF", err)
	}
	c.Mu.Lock() // the event goroutine may be applying a hang-up
	broken := c.Broken
	c.Mu.Unlock()
	if !broken {
		t.Error("Broken not set by Break")
	}
}

func TestConnRelease(t *testing.T) {
	a, _ := socketPair(t)
	c := &Conn{FD: a}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 4), 5*time.Second)
		done <- err
	}()
	// Release the parked reader once it waits.
	for {
		c.Mu.Lock()
		if c.rOn {
			break
		}
		c.Mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	w, ok := c.ReleaseLocked()
	c.Mu.Unlock()
	w.Signal()
	if !ok {
		t.Fatal("ReleaseLocked refused the first release")
	}
	// Woken, it finds the descriptor no longer its own.
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("parked Read after the release: %v, want net.ErrClosed", err)
	}
	c.Mu.Lock()
	_, ok = c.ReleaseLocked()
	c.Mu.Unlock()
	if ok {
		t.Error("ReleaseLocked released twice")
	}
	if _, err := c.ReadNow(make([]byte, 4)); err != net.ErrClosed {
		t.Errorf("ReadNow after the release: %v, want net.ErrClosed", err)
	}
	c.Break() // does not touch a descriptor no longer its own
	if c.Broken {
		t.Error("Break acted on a released descriptor")
	}
}

// A write the socket takes at once waited for nothing (and read no clock).
func TestConnWritevNoWait(t *testing.T) {
	a, _ := socketPair(t)
	c := &Conn{FD: a}
	if waited, err := c.Writev([][]byte{[]byte("hello")}, time.Second); err != nil || waited != 0 {
		t.Fatalf("Writev = %v, %v; want 0, nil", waited, err)
	}
}

func TestConnWritevParksUntilWritable(t *testing.T) {
	a, b := socketPair(t)
	c := connWithEvents(t, a)
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // past any socket buffer
	got := make(chan []byte, 1)
	go func() {
		var all []byte
		buf := make([]byte, 64<<10)
		for len(all) < 2*len(want) {
			n, err := unix.Read(b, buf)
			if err == unix.EAGAIN {
				time.Sleep(time.Millisecond)
				continue
			}
			if err != nil || n == 0 {
				break
			}
			all = append(all, buf[:n]...)
		}
		got <- all
	}()
	waited, err := c.Writev([][]byte{want, nil, want}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if waited <= 0 {
		t.Errorf("a write past the socket buffer reports waiting %v", waited)
	}
	if all := <-got; !bytes.Equal(all, append(append([]byte{}, want...), want...)) {
		t.Fatalf("the peer read %d bytes, not the %d written", len(all), 2*len(want))
	}
}

func TestConnWritevTimeout(t *testing.T) {
	a, _ := socketPair(t)
	c := connWithEvents(t, a)
	if _, err := c.Writev([][]byte{make([]byte, 8<<20)}, 30*time.Millisecond); err != os.ErrDeadlineExceeded {
		t.Fatalf("Writev nobody reads: %v, want os.ErrDeadlineExceeded", err)
	}
}

// TestConnWriteNow: the non-parking writes take what the socket buffer
// holds, then say ErrAgain instead of waiting, and what they sent arrives
// whole and in order (sendfile's bytes come from the file at the offset
// asked, which advances).
func TestConnWriteNow(t *testing.T) {
	a, b := socketPair(t)
	c := &Conn{FD: a}
	file := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: past any socket buffer
	f, err := os.CreateTemp(t.TempDir(), "sendfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(file); err != nil {
		t.Fatal(err)
	}
	var want []byte
	n, err := c.WritevNow([][]byte{[]byte("head:")})
	if n != 5 || err != nil {
		t.Fatalf("WritevNow = %d, %v", n, err)
	}
	want = append(want, "head:"...)
	off := int64(3)
	full := false
	for range 1000 {
		n, err := c.SendfileNow(int(f.Fd()), &off, len(file)-int(off))
		if err == ErrAgain {
			full = true
			break
		}
		if err != nil || n == 0 {
			t.Fatalf("SendfileNow = %d, %v", n, err)
		}
	}
	if !full {
		t.Fatal("SendfileNow never found the socket buffer full")
	}
	want = append(want, file[3:off]...)
	if _, err := c.WritevNow([][]byte{[]byte("more")}); err != ErrAgain {
		t.Fatalf("WritevNow on a full socket = %v, want ErrAgain", err)
	}
	got := make([]byte, 0, len(want))
	buf := make([]byte, 64<<10)
	for len(got) < len(want) {
		n, err := unix.Read(b, buf)
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v", len(got), len(want), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the peer read %d bytes that differ from the %d sent", len(got), len(want))
	}
	c.Mu.Lock()
	c.Released = true
	c.Mu.Unlock()
	if _, err := c.SendfileNow(int(f.Fd()), &off, 1); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SendfileNow after release = %v, want net.ErrClosed", err)
	}
}
