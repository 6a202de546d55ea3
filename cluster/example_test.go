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

// Match is how a Bus matches a subscription's pattern, for code that
// routes the events of one wide subscription itself: "*" stands for one
// token, a final ">" for one or more.
func ExampleMatch() {
	for _, pt := range [][2]string{
		{"chat.*", "chat.lobby"},
		{"chat.*", "chat.lobby.typing"},
		{"chat.>", "chat.lobby.typing"},
		{"chat.>", "chat"},
		{"*.lobby", "chat.lobby"},
	} {
		fmt.Println(pt[0], pt[1], cluster.Match(pt[0], pt[1]))
	}
	// Output:
	// chat.* chat.lobby true
	// chat.* chat.lobby.typing false
	// chat.> chat.lobby.typing true
	// chat.> chat false
	// *.lobby chat.lobby true
}

// A subscription that has what it waited for ends itself: Unsubscribe may
// be called from its own callback.
func ExampleSubscription() {
	bus := cluster.NewLocal()
	defer bus.Close()
	var sub cluster.Subscription
	sub, _ = bus.Subscribe("order.42.>", func(subject string, data []byte) {
		fmt.Printf("%s: %s\n", subject, data)
		if subject == "order.42.shipped" {
			sub.Unsubscribe()
		}
	})
	for _, step := range []string{"paid", "shipped", "delivered"} {
		bus.Publish(context.Background(), "order.42."+step, []byte("at "+step))
	}
	// Output:
	// order.42.paid: at paid
	// order.42.shipped: at shipped
}
