package sse

// Tick runs one heartbeat tick now, as the Broker's timer does.
func (b *Broker) Tick() { b.tick() }
