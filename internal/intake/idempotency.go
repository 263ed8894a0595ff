package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/intake/bulk"
)

// Client idempotency keys (issue 15 item 3). JetStream's duplicate window
// makes kubu's own retry of a batch safe; these make a shipper's resend
// safe too, when the shipper says which requests are the same:
//
//   - the Idempotency-Key request header (IETF draft-ietf-httpapi-
//     idempotency-key-header) on any HTTP intake protocol; for HEC it is
//     joined to the X-Splunk-Request-Channel when one is sent;
//   - on _bulk without the header, the _id of every stored item when every
//     stored item is a `create` with an _id (Elasticsearch's own way to
//     make a resend of creates store nothing twice).
//
// A key is scoped by the intake token and protocol, and a resend is
// recognised while the event log remembers its batches' ids (the
// duplicate window, 2 minutes by default). A resend must carry the same
// events: the key names the request, the events are not compared.

// maxIdempotencyKey bounds the header's length.
const maxIdempotencyKey = 256

// idempotencyHeader reads the Idempotency-Key header: "" when absent, an
// error when it is too long or not printable ASCII.
func idempotencyHeader(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if len(k) > maxIdempotencyKey {
		return "", fmt.Errorf("Idempotency-Key of %d bytes, at most %d", len(k), maxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", fmt.Errorf("Idempotency-Key has a byte 0x%02x that is not printable ASCII", k[i])
		}
	}
	return k, nil
}

// scopedKey binds a client key to its intake token and protocol.
func scopedKey(tokenID, protocol, key string) string {
	if key == "" {
		return ""
	}
	return tokenID + "\x00" + protocol + "\x00" + key
}

// keyedMsgID is the event-log message id of batch i of a keyed request.
func keyedMsgID(key string, i int) string {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(i)))
	return "k" + hex.EncodeToString(h.Sum(nil)[:20])
}

// createIDs gathers the _ids of a bulk request's stored items: a key when
// every one is a create with an _id.
type createIDs struct {
	h   hash.Hash
	n   int
	all bool
}

func newCreateIDs() *createIDs { return &createIDs{h: sha256.New(), all: true} }

func (c *createIDs) add(it bulk.Item) {
	if it.Action != bulk.ActionCreate || it.ID == "" {
		c.all = false
		return
	}
	c.h.Write([]byte(it.Index))
	c.h.Write([]byte{0})
	c.h.Write([]byte(it.ID))
	c.h.Write([]byte{0})
	c.n++
}

// key is "" unless every stored item was a create with an _id.
func (c *createIDs) key() string {
	if !c.all || c.n == 0 {
		return ""
	}
	return "bulk-create-ids:" + hex.EncodeToString(c.h.Sum(nil))
}
