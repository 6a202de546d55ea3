package exchange

// keyed is one per-exchange value of another package (see Value).
type keyed struct{ key, val any }

// Value returns the exchange's value for key, storing newValue()'s result
// under key first when the exchange has none. It is where a package keeps
// state that belongs to the exchange and not to one Request of it, shared
// by every Request derived from the initial one (a re-dispatch, a
// forward, WithAttribute), without a field of its own here: package
// formdata keeps the exchange's one form parse there. The values live in
// the extras, so that an Exchange that never has one does not grow.
//
// key is compared with ==: a package uses a value of an unexported type of
// its own, as context keys do, so that no other package meets it.
// newValue runs under the exchange's lock, once per key: it must only make
// the value, calling nothing of the exchange. The values stay after the
// exchange completes, for a caller that comes late. Any goroutine may call
// Value.
func (ex *Exchange) Value(key any, newValue func() any) any {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	x := ex.extrasLocked()
	for _, kv := range x.values {
		if kv.key == key {
			return kv.val
		}
	}
	v := newValue()
	x.values = append(x.values, keyed{key, v})
	return v
}
