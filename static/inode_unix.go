//go:build unix

package static

import (
	"io/fs"
	"syscall"
)

// inode returns the file's inode number, which tells a file replaced by
// another of the same size and time apart.
func inode(info fs.FileInfo) (uint64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Ino), true
}
