package sigma

import (
	"bytes"
	"encoding/json"
	"io"
)

// readConcatenatedJSON splits a file of concatenated JSON documents.
func readConcatenatedJSON(data []byte) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
}
