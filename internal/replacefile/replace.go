package replacefile

import (
	"io"
	"os"
	"path/filepath"
)

// Write has fill write the new contents of path into a temporary file in
// path's directory, named after pattern (as os.CreateTemp names it), and
// renames that file over path. If fill or the rename fails, the temporary
// file is removed and path is left as it was.
func Write(path, pattern string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return err
	}
	err = fill(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
