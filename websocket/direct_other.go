//go:build !unix

package websocket

import "errors"

// directWrites is false where sockets are not file descriptors: every
// message goes through the writer goroutine.
const directWrites = false

func writeFD(uintptr, []byte) (int, error) { return 0, errors.ErrUnsupported }
