package static

import (
	"io"
	"io/fs"
)

// fileOf makes an fs.File of a reader, keeping exactly the methods r has
// (Read, and ReadAt or Seek or neither).
func fileOf(r any) fs.File {
	base := stub{r.(io.Reader)}
	switch v := r.(type) {
	case io.ReaderAt:
		return struct {
			stub
			io.ReaderAt
		}{base, v}
	case io.Seeker:
		return struct {
			stub
			io.Seeker
		}{base, v}
	}
	return base
}

type stub struct{ io.Reader }

func (stub) Stat() (fs.FileInfo, error) { return nil, fs.ErrInvalid }
func (stub) Close() error               { return nil }
