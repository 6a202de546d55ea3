package cluster_test

import (
	"context"
	"fmt"

	"github.com/wharf-go/wharf/cluster"
)

// An application subscribes once, and resumes the continuations waiting
// for the event's subject in its callback; here it only prints. NewLocal
// is the Bus of one instance; natsbus.Connect gives one shared by many.
func ExampleNewLocal() {
	var bus cluster.Bus = cluster.NewLocal()
	defer bus.Close()
	bus.Subscribe("chat.>", func(subject string, data []byte) {
		fmt.Printf("%s: %s\n", subject, data)
	})
	bus.Publish(context.Background(), "chat.lobby", []byte("hello"))
	bus.Publish(context.Background(), "news", []byte("not for the chat"))
	fmt.Printf("%+v\n", bus.Stats())
	// Output:
	// chat.lobby: hello
	// {Published:2 Delivered:1 Lost:0 Connected:true Reconnects:0}
}
