package hec

import (
	"encoding/json"
	"strconv"

	"github.com/valyala/fastjson"
)

// DecodeAckRequest reads a /services/collector/ack body, {"acks":[0,1,2]},
// and returns the ids asked about. A body that is not that shape is
// answered "Invalid data format" (code 6).
func DecodeAckRequest(body []byte) ([]uint64, error) {
	v, err := fastjson.ParseBytes(body)
	if err != nil {
		return nil, &Error{Code: CodeInvalidDataFormat, Event: -1, Detail: "ack body: " + err.Error()}
	}
	arr := v.Get("acks")
	if arr == nil {
		return nil, &Error{Code: CodeInvalidDataFormat, Event: -1, Detail: `ack body has no "acks" array`}
	}
	items, err := arr.Array()
	if err != nil {
		return nil, &Error{Code: CodeInvalidDataFormat, Event: -1, Detail: `"acks" is not an array`}
	}
	ids := make([]uint64, 0, len(items))
	for i, it := range items {
		id, err := it.Uint64()
		if err != nil {
			return nil, &Error{Code: CodeInvalidDataFormat, Event: -1, Detail: "acks[" + strconv.Itoa(i) + "] is not an ack id"}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// AckResponse answers an ack request: {"acks":{"0":true,"1":false}}.
type AckResponse struct {
	Acks map[uint64]bool `json:"acks"`
}

// MarshalJSON encodes the response; an empty map encodes as {"acks":{}}.
func (a AckResponse) MarshalJSON() ([]byte, error) {
	m := a.Acks
	if m == nil {
		m = map[uint64]bool{}
	}
	return json.Marshal(struct {
		Acks map[uint64]bool `json:"acks"`
	}{m})
}
