// Package wsframe encodes and decodes WebSocket frames (RFC 6455 §5.2): pure
// functions over bytes, no connection. The websocket package reads frames
// with Header and Parse as bytes come, and uses AppendFrame to write
// several messages to a connection in one system call. On a connection
// that negotiated permessage-deflate (RFC 7692) it reads with
// HeaderDeflate and ParseDeflate, which take the RSV1 bit of a message's
// first frame, and writes compressed messages with AppendCompressed; the
// compression itself is the caller's.
//
// It imports only the standard library.
package wsframe

import (
	"encoding/binary"
	"errors"
	"slices"
)

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// Sentinel errors of package wsframe.
var (
	// ErrShort means b does not hold a whole frame yet.
	ErrShort = errors.New("wsframe: incomplete frame")
	// ErrInvalid means b does not start with a valid frame.
	ErrInvalid = errors.New("wsframe: invalid frame")
)

// Frame is one decoded frame.
type Frame struct {
	Fin    bool
	Opcode byte
	Masked bool
	// Compressed is RSV1 on a text or binary frame, as HeaderDeflate and
	// ParseDeflate take it: the message's payload is deflated (RFC 7692
	// §6). Header and Parse refuse the bit.
	Compressed bool
	Payload    []byte // unmasked; a view of the input
}

// AppendFrame appends a final, unmasked frame (as a server sends) with
// opcode and payload to b.
func AppendFrame(b []byte, opcode byte, payload []byte) []byte {
	return appendFrame(b, 0x80|opcode&0x0F, payload)
}

// AppendCompressed is AppendFrame for a text or binary message whose
// payload is deflated (RFC 7692): the frame has RSV1 set.
func AppendCompressed(b []byte, opcode byte, payload []byte) []byte {
	return appendFrame(b, 0x80|0x40|opcode&0x0F, payload)
}

func appendFrame(b []byte, first byte, payload []byte) []byte {
	// Room for the whole frame first (a server's header is 10 bytes at
	// most): grown by its appends, a frame begun in an empty buffer
	// took an allocation for the header and another for the payload.
	b = slices.Grow(b, 10+len(payload))
	b = append(b, first)
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// Header decodes the header of the frame at the start of b: the frame's
// fields (no payload yet), the header's length (with the mask key) and
// the payload's. A reader learns from it how many bytes the frame needs
// before they have all come. It returns ErrShort while b holds only part
// of the header, and ErrInvalid as Parse does.
func Header(b []byte) (f Frame, hdr int, n uint64, err error) {
	return header(b, false)
}

// HeaderDeflate is Header on a connection that negotiated
// permessage-deflate: RSV1 on a text or binary frame, a message's first,
// sets f.Compressed. It stays ErrInvalid on a control or a continuation
// frame (RFC 7692 §6), as RSV2 and RSV3 do.
func HeaderDeflate(b []byte) (f Frame, hdr int, n uint64, err error) {
	return header(b, true)
}

func header(b []byte, deflate bool) (f Frame, hdr int, n uint64, err error) {
	if len(b) < 2 {
		return Frame{}, 0, 0, ErrShort
	}
	f = Frame{Fin: b[0]&0x80 != 0, Opcode: b[0] & 0x0F, Masked: b[1]&0x80 != 0}
	rsv := b[0] & 0x70
	if deflate && rsv == 0x40 && (f.Opcode == OpText || f.Opcode == OpBinary) {
		f.Compressed, rsv = true, 0
	}
	if rsv != 0 {
		return Frame{}, 0, 0, ErrInvalid // RSV bits without an extension that gives them a meaning
	}
	switch f.Opcode {
	case OpContinuation, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if !f.Fin || b[1]&0x7F > 125 {
			return Frame{}, 0, 0, ErrInvalid
		}
	default:
		return Frame{}, 0, 0, ErrInvalid
	}
	n, hdr = uint64(b[1]&0x7F), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return Frame{}, 0, 0, ErrShort
		}
		// A length longer than it needs to be is the sender's fault
		// (RFC 6455 §5.2 binds the encoder), not a frame a receiver
		// must fail: it is taken, as gorilla/websocket takes it.
		n, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return Frame{}, 0, 0, ErrShort
		}
		n, hdr = binary.BigEndian.Uint64(b[2:]), 10
		if n>>63 != 0 { // RFC 6455 §5.2: the most significant bit MUST be 0
			return Frame{}, 0, 0, ErrInvalid
		}
	}
	if f.Masked {
		hdr += 4
		if len(b) < hdr {
			return Frame{}, 0, 0, ErrShort
		}
	}
	return f, hdr, n, nil
}

// Parse decodes the frame at the start of b and returns it and its length.
// A masked payload is unmasked in place. It returns ErrShort when b holds
// only part of a frame, ErrInvalid for reserved bits, unknown opcodes,
// 64-bit lengths with the most significant bit set, and control frames
// that are fragmented or longer than 125 bytes. A length not in its
// minimal encoding is accepted.
func Parse(b []byte) (Frame, int, error) { return parse(b, false) }

// ParseDeflate is Parse with HeaderDeflate's rule for RSV1.
func ParseDeflate(b []byte) (Frame, int, error) { return parse(b, true) }

func parse(b []byte, deflate bool) (Frame, int, error) {
	f, hdr, n, err := header(b, deflate)
	if err != nil {
		return Frame{}, 0, err
	}
	if uint64(len(b)-hdr) < n {
		return Frame{}, 0, ErrShort
	}
	f.Payload = b[hdr : hdr+int(n)]
	if f.Masked {
		mask := b[hdr-4 : hdr]
		for i := range f.Payload {
			f.Payload[i] ^= mask[i&3]
		}
	}
	return f, hdr + int(n), nil
}
