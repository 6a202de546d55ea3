package static

import (
	"io/fs"
	"syscall"
)

// changeTime returns the file's status change time (ctime) in
// nanoseconds: every write, truncation or chtimes moves it, so a content
// hash kept with it is known stale when it differs.
func changeTime(info fs.FileInfo) (int64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Ctim.Nano(), true
}
