package container

// list is an intrusive doubly linked list, newest first: its nodes carry
// their own links, so joining and leaving costs two pointer writes and no
// allocation. The live requests and the taken-over connections are kept
// in one each. The caller guards it with its own lock.
type list[T any, P linked[T]] struct {
	head P
	n    int
}

// links are a node's place in a list.
type links[T any] struct {
	prev, next *T
}

// linked is a pointer to a node: it gives the node's links.
type linked[T any] interface {
	*T
	links() *links[T]
}

// push adds x at the head.
func (l *list[T, P]) push(x P) {
	lx := x.links()
	lx.prev, lx.next = nil, (*T)(l.head)
	if l.head != nil {
		l.head.links().prev = (*T)(x)
	}
	l.head = x
	l.n++
}

// remove takes x, which must be in l, out.
func (l *list[T, P]) remove(x P) {
	lx := x.links()
	if lx.prev != nil {
		P(lx.prev).links().next = lx.next
	} else if l.head == x {
		l.head = P(lx.next)
	}
	if lx.next != nil {
		P(lx.next).links().prev = lx.prev
	}
	lx.prev, lx.next = nil, nil
	l.n--
}

// all returns the nodes, newest first, to act on them without the lock.
func (l *list[T, P]) all() []P {
	xs := make([]P, 0, l.n)
	for x := l.head; x != nil; x = P(x.links().next) {
		xs = append(xs, x)
	}
	return xs
}
