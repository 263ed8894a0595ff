package intake

// Protocols, as recorded in "@kubu".protocol, the intake counters and the
// silent-source table.
const (
	ProtoHEC       = "hec"
	ProtoBulk      = "bulk"
	ProtoOTLP      = "otlp"
	ProtoSyslogUDP = "syslog-udp"
	ProtoSyslogTCP = "syslog-tcp"
	ProtoSyslogTLS = "syslog-tls"
)

// Protocols lists every protocol, in display order.
func Protocols() []string {
	return []string{ProtoHEC, ProtoBulk, ProtoOTLP, ProtoSyslogUDP, ProtoSyslogTCP, ProtoSyslogTLS}
}

// Unassigned is the agency token of events from syslog senders that no
// source network maps to an agency. Agency codes are upper case, so it
// cannot clash with one.
const Unassigned = "unassigned"
