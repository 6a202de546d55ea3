package dispatcher

import (
	"reflect"
	"testing"
)

// TestStrategyStatsAdd sums every field: a field added to StrategyStats
// and forgotten in Add fails here.
func TestStrategyStatsAdd(t *testing.T) {
	var a, b, want StrategyStats
	va, vb, vw := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem(), reflect.ValueOf(&want).Elem()
	for i := range va.NumField() {
		switch va.Field(i).Kind() {
		case reflect.Uint64:
			va.Field(i).SetUint(uint64(i + 1))
			vb.Field(i).SetUint(uint64(10 * (i + 1)))
			vw.Field(i).SetUint(uint64(11 * (i + 1)))
		case reflect.Int:
			va.Field(i).SetInt(int64(i + 1))
			vb.Field(i).SetInt(int64(10 * (i + 1)))
			vw.Field(i).SetInt(int64(11 * (i + 1)))
		default:
			t.Fatalf("field %s of kind %s: teach this test and Add about it", va.Type().Field(i).Name, va.Field(i).Kind())
		}
	}
	if got := a.Add(b); got != want {
		t.Fatalf("Add = %+v, want %+v", got, want)
	}
}
