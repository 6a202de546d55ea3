package auth_test

import (
	"context"
	"testing"

	"github.com/wharf-go/wharf/auth"
)

func TestUsers(t *testing.T) {
	table := map[string]string{"ana": "s3cret", "bo": "hunter2", "empty": ""}
	check := auth.Users(table)
	table["ana"] = "changed" // the table was copied
	tests := []struct {
		user, password string
		ok             bool
	}{
		{"ana", "s3cret", true},
		{"bo", "hunter2", true},
		{"empty", "", true},
		{"ana", "changed", false},
		{"ana", "hunter2", false},
		{"bo", "s3cret", false},
		{"ana", "s3cret ", false},
		{"ana", "S3cret", false},
		{"ana", "", false},
		{"Ana", "s3cret", false},
		{"", "", false},
		{"eve", "s3cret", false},
	}
	for _, tt := range tests {
		u, ok := check(context.Background(), tt.user, tt.password)
		if ok != tt.ok || ok && u.Name != tt.user {
			t.Errorf("(%q, %q) = %+v, %v; want %v", tt.user, tt.password, u, ok, tt.ok)
		}
	}
	if _, ok := auth.Users(nil)(context.Background(), "", ""); ok {
		t.Error("an empty table accepted someone")
	}
}
