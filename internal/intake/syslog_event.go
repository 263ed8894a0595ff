package intake

import (
	"github.com/kubu-gov/kubu/internal/jsonw"

	"strconv"

	"github.com/kubu-gov/kubu/internal/syslog"
)

// syslogObject builds the stored object of one syslog message. A message
// that does not parse is kept whole as "message" with the reason in
// "parse_error": an analyst would rather have it than not.
func (n *normaliser) syslogObject(frame []byte, msg *syslog.Message, perr error) []byte {
	b := append(n.tmp[:0], '{')
	str := func(k, v string) {
		if v == "" {
			return
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		b = jsonw.AppendString(b, v)
	}
	if perr != nil {
		str("message", string(frame))
		str("parse_error", perr.Error())
		b = append(b, '}')
		n.tmp = b
		return b
	}
	b = append(b, `"facility":`...)
	b = strconv.AppendUint(b, uint64(msg.Facility), 10)
	b = append(b, `,"severity":`...)
	b = strconv.AppendUint(b, uint64(msg.Severity), 10)
	str("format", msg.Format.String())
	str("hostname", msg.Hostname)
	str("app_name", msg.AppName)
	str("proc_id", msg.ProcID)
	str("msg_id", msg.MsgID)
	str("sequence", msg.Sequence)
	str("message", msg.Msg)
	if len(msg.StructuredData) > 0 {
		b = append(b, `,"structured_data":{`...)
		for i, el := range msg.StructuredData {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, el.ID)
			b = append(b, ":{"...)
			for j, p := range el.Params {
				if j > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, p.Name)
				b = append(b, ':')
				b = jsonw.AppendString(b, p.Value)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	n.tmp = b
	return b
}
