package netpoll

import "sync"

// Table finds what a ready event is about from its key. It keeps a value
// per descriptor number, and makes each registration's key of the number
// and a generation: an event still queued for a descriptor closed since,
// whose number the next descriptor reuses, then finds nothing rather than
// the successor. The generation is never 0, so a key below 1<<32 is never
// a Table's: the caller may use those for descriptors it finds otherwise.
// Its methods may be called from any goroutine.
type Table[T any] struct {
	mu    sync.Mutex
	slots []slot[T] // by descriptor number: denser than a map
	gen   uint32
}

type slot[T any] struct {
	v   *T
	gen uint32
}

// Put keeps v for descriptor fd and returns the key to register fd with.
func (t *Table[T]) Put(fd int, v *T) (key uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen++; t.gen == 0 {
		t.gen = 1
	}
	if fd >= len(t.slots) {
		t.slots = append(t.slots, make([]slot[T], fd+1-len(t.slots))...)
	}
	t.slots[fd] = slot[T]{v, t.gen}
	return uint64(uint32(fd)) | uint64(t.gen)<<32
}

// Get returns the value of key: nil if its descriptor was deleted since,
// or put again under a new key.
func (t *Table[T]) Get(key uint64) *T {
	fd, gen := int(uint32(key)), uint32(key>>32)
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < len(t.slots) && t.slots[fd].gen == gen {
		return t.slots[fd].v
	}
	return nil
}

// Delete forgets descriptor fd's value if it is still v.
func (t *Table[T]) Delete(fd int, v *T) {
	t.mu.Lock()
	if fd < len(t.slots) && t.slots[fd].v == v {
		t.slots[fd] = slot[T]{}
	}
	t.mu.Unlock()
}
