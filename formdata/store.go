package formdata

import (
	"errors"
	"os"
	"slices"
	"sync"
)

// store owns a form's temporary files: it creates them, tracks the open
// handles, and removes them all once, when the request completes (the
// completion hook runs on whichever goroutine finishes the request, so
// every method locks).
type store struct {
	dir string

	mu      sync.Mutex
	paths   []string   // temporary files not yet removed or saved
	files   []*os.File // handles to close at removal
	removed bool
}

// create makes a temporary file to spool a part into.
func (s *store) create() (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return nil, ErrRemoved
	}
	f, err := os.CreateTemp(s.dir, "wharf-upload-*")
	if err != nil {
		return nil, err
	}
	s.paths = append(s.paths, f.Name())
	s.files = append(s.files, f)
	return f, nil
}

// open opens a file of the form for reading.
func (s *store) open(path string) (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return nil, ErrRemoved
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s.files = append(s.files, f)
	return f, nil
}

// move moves the temporary file from to the path to, which the store
// then no longer removes. A file from that is not the store's (one an
// earlier SaveTo kept) is copied instead: moving it would take away the
// copy that SaveTo kept.
func (s *store) move(from, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return ErrRemoved
	}
	if !slices.Contains(s.paths, from) {
		return copyFile(from, to)
	}
	if err := os.Rename(from, to); err != nil {
		// Another file system: copy, and leave from to the removal.
		if cerr := copyFile(from, to); cerr != nil {
			return errors.Join(err, cerr)
		}
		return nil
	}
	s.paths = slices.DeleteFunc(s.paths, func(p string) bool { return p == from })
	return nil
}

func (s *store) isRemoved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed
}

// removeAll closes every handle and removes every temporary file, once.
func (s *store) removeAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return nil
	}
	s.removed = true
	for _, f := range s.files {
		f.Close() // already closed by its user, often: nothing to report
	}
	var errs []error
	for _, p := range s.paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.files, s.paths = nil, nil
	return errors.Join(errs...)
}
