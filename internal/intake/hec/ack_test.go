package hec

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAck(t *testing.T) {
	ids, err := DecodeAckRequest([]byte(`{"acks":[0,1,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{0, 1, 2}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(AckResponse{Acks: map[uint64]bool{0: true, 1: false, 2: true}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"acks":{"0":true,"1":false,"2":true}}`; string(b) != want {
		t.Errorf("ack response = %s, want %s", b, want)
	}
	b, _ = json.Marshal(AckResponse{})
	if want := `{"acks":{}}`; string(b) != want {
		t.Errorf("empty ack response = %s, want %s", b, want)
	}
	for _, bad := range []string{``, `[]`, `{"acks":1}`, `{"acks":["x"]}`, `{"acks":[-1]}`, `{}`} {
		_, err := DecodeAckRequest([]byte(bad))
		var he *Error
		if !errors.As(err, &he) || he.Code != CodeInvalidDataFormat {
			t.Errorf("DecodeAckRequest(%q) error = %v, want Invalid data format", bad, err)
		}
	}
}
