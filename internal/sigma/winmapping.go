package sigma

import "strconv"

// Windows channel names (public Windows event log channel names).
const (
	chSysmon       = "Microsoft-Windows-Sysmon/Operational"
	chSecurity     = "Security"
	chPowerShell   = "Microsoft-Windows-PowerShell/Operational"
	chPowerShellCo = "PowerShellCore/Operational"
	chPSClassic    = "Windows PowerShell"
	chDefender     = "Microsoft-Windows-Windows Defender/Operational"
)

// sysmonCategories maps Sigma's Windows categories to Sysmon event IDs
// (and, for the registry sub-categories, the Sysmon EventType).
var sysmonCategories = []struct {
	category  string
	ids       []int
	eventType []string
}{
	{"process_creation", []int{1}, nil},
	{"file_change", []int{2}, nil},
	{"network_connection", []int{3}, nil},
	{"sysmon_status", []int{4, 16}, nil},
	{"process_termination", []int{5}, nil},
	{"driver_load", []int{6}, nil},
	{"image_load", []int{7}, nil},
	{"create_remote_thread", []int{8}, nil},
	{"raw_access_thread", []int{9}, nil},
	{"process_access", []int{10}, nil},
	{"file_event", []int{11}, nil},
	{"registry_event", []int{12, 13, 14}, nil},
	{"registry_add", []int{12}, []string{"CreateKey"}},
	{"registry_delete", []int{12}, []string{"DeleteKey", "DeleteValue"}},
	{"registry_set", []int{13}, nil},
	{"registry_rename", []int{14}, nil},
	{"create_stream_hash", []int{15}, nil},
	{"pipe_created", []int{17, 18}, nil},
	{"wmi_event", []int{19, 20, 21}, nil},
	{"dns_query", []int{22}, nil},
	{"file_delete", []int{23, 26}, nil},
	{"clipboard_change", []int{24}, nil},
	{"process_tampering", []int{25}, nil},
	{"file_delete_detected", []int{26}, nil},
	{"file_block_executable", []int{27}, nil},
	{"file_block_shredding", []int{28}, nil},
	{"file_executable_detected", []int{29}, nil},
	{"sysmon_error", []int{255}, nil},
}

// windowsServices maps Sigma's Windows services to event log channels.
var windowsServices = []struct {
	service  string
	channels []string
}{
	{"security", []string{chSecurity}},
	{"system", []string{"System"}},
	{"application", []string{"Application"}},
	{"sysmon", []string{chSysmon}},
	{"powershell", []string{chPowerShell, chPowerShellCo}},
	{"powershell-classic", []string{chPSClassic}},
	{"windefend", []string{chDefender}},
	{"taskscheduler", []string{"Microsoft-Windows-TaskScheduler/Operational"}},
	{"wmi", []string{"Microsoft-Windows-WMI-Activity/Operational"}},
	{"ntlm", []string{"Microsoft-Windows-NTLM/Operational"}},
	{"dhcp", []string{"Microsoft-Windows-DHCP-Server/Operational"}},
	{"printservice-admin", []string{"Microsoft-Windows-PrintService/Admin"}},
	{"printservice-operational", []string{"Microsoft-Windows-PrintService/Operational"}},
	{"smbclient-security", []string{"Microsoft-Windows-SmbClient/Security"}},
	{"smbclient-connectivity", []string{"Microsoft-Windows-SmbClient/Connectivity"}},
	{"smbserver-connectivity", []string{"Microsoft-Windows-SMBServer/Connectivity"}},
	{"terminalservices-localsessionmanager", []string{"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"}},
	{"codeintegrity-operational", []string{"Microsoft-Windows-CodeIntegrity/Operational"}},
	{"applocker", []string{
		"Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
		"Microsoft-Windows-AppLocker/Packaged app-Deployment", "Microsoft-Windows-AppLocker/Packaged app-Execution"}},
	{"msexchange-management", []string{"MSExchange Management"}},
	{"firewall-as", []string{"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"}},
	{"bits-client", []string{"Microsoft-Windows-Bits-Client/Operational"}},
	{"security-mitigations", []string{
		"Microsoft-Windows-Security-Mitigations/KernelMode", "Microsoft-Windows-Security-Mitigations/UserMode",
		"Microsoft-Windows-Security-Mitigations/Kernel Mode", "Microsoft-Windows-Security-Mitigations/User Mode"}},
	{"diagnosis-scripted", []string{"Microsoft-Windows-Diagnosis-Scripted/Operational"}},
	{"shell-core", []string{"Microsoft-Windows-Shell-Core/Operational"}},
	{"openssh", []string{"OpenSSH/Operational"}},
	{"ldap", []string{"Microsoft-Windows-LDAP-Client/Debug"}},
	{"bitlocker", []string{"Microsoft-Windows-BitLocker/BitLocker Management"}},
	{"vhdmp", []string{"Microsoft-Windows-VHDMP/Operational"}},
	{"appxdeployment-server", []string{"Microsoft-Windows-AppXDeploymentServer/Operational"}},
	{"lsa-server", []string{"Microsoft-Windows-LSA/Operational"}},
	{"appxpackaging-om", []string{"Microsoft-Windows-AppxPackaging/Operational"}},
	{"dns-client", []string{"Microsoft-Windows-DNS Client Events/Operational"}},
	{"dns-server", []string{"DNS Server"}},
	{"dns-server-analytic", []string{"Microsoft-Windows-DNSServer/Analytical"}},
	{"appmodel-runtime", []string{"Microsoft-Windows-AppModel-Runtime/Admin"}},
	{"capi2", []string{"Microsoft-Windows-CAPI2/Operational"}},
	{"certificateservicesclient-lifecycle-system", []string{"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"}},
	{"kernel-shimengine", []string{"Microsoft-Windows-Kernel-ShimEngine/Operational", "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"}},
	{"application-experience", []string{
		"Microsoft-Windows-Application-Experience/Program-Telemetry",
		"Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant"}},
	{"ntfs", []string{"Microsoft-Windows-Ntfs/Operational"}},
	{"hyper-v-worker", []string{"Microsoft-Windows-Hyper-V-Worker-Admin"}},
	{"kernel-event-tracing", []string{"Microsoft-Windows-Kernel-EventTracing/Admin"}},
	{"sense", []string{"Microsoft-Windows-SENSE/Operational"}},
	{"servicebus-client", []string{"Microsoft-ServiceBus-Client/Admin", "Microsoft-ServiceBus-Client/Operational"}},
	{"microsoft-servicebus-client", []string{"Microsoft-ServiceBus-Client/Admin", "Microsoft-ServiceBus-Client/Operational"}},
	{"iis-configuration", []string{"Microsoft-IIS-Configuration/Operational"}},
	{"driver-framework", []string{"Microsoft-Windows-DriverFrameworks-UserMode/Operational"}},
}

// WindowsMapping returns the built-in mapping for Windows event logs in
// the flat JSON form (System fields by leaf name, EventData by Name).
func WindowsMapping() *Mapping {
	m := &Mapping{}
	add := func(e LogsourceMapping) { m.Logsources = append(m.Logsources, e) }
	ids := func(v []int) []string {
		out := make([]string, len(v))
		for i, n := range v {
			out[i] = strconv.Itoa(n)
		}
		return out
	}
	for _, c := range sysmonCategories {
		cond := map[string][]string{routeChannel: {chSysmon}, routeEventID: ids(c.ids)}
		if c.eventType != nil {
			cond["EventType"] = c.eventType
		}
		add(LogsourceMapping{Category: c.category, Product: "windows", Conditions: cond})
	}
	// Process creation also comes from Security 4688, whose field names
	// differ from Sysmon's.
	add(LogsourceMapping{
		Category: "process_creation", Product: "windows",
		Conditions: map[string][]string{routeChannel: {chSecurity}, routeEventID: {"4688"}},
		FieldMappings: map[string]string{
			"Image":           "NewProcessName",
			"ParentImage":     "ParentProcessName",
			"ProcessId":       "NewProcessId",
			"ParentProcessId": "ProcessId",
			"LogonId":         "SubjectLogonId",
		},
	})
	ps := []string{chPowerShell, chPowerShellCo}
	add(LogsourceMapping{Category: "ps_module", Product: "windows", Conditions: map[string][]string{routeChannel: ps, routeEventID: {"4103"}}})
	add(LogsourceMapping{Category: "ps_script", Product: "windows", Conditions: map[string][]string{routeChannel: ps, routeEventID: {"4104"}}})
	add(LogsourceMapping{Category: "ps_classic_start", Product: "windows", Conditions: map[string][]string{routeChannel: {chPSClassic}, routeEventID: {"400"}}})
	add(LogsourceMapping{Category: "ps_classic_provider_start", Product: "windows", Conditions: map[string][]string{routeChannel: {chPSClassic}, routeEventID: {"600"}}})
	add(LogsourceMapping{Category: "ps_classic_script", Product: "windows", Conditions: map[string][]string{routeChannel: {chPSClassic}, routeEventID: {"800"}}})
	add(LogsourceMapping{Category: "antivirus", Product: "windows",
		Conditions: map[string][]string{routeChannel: {chDefender},
			routeEventID: ids([]int{1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116})},
		FieldMappings: map[string]string{"Signature": "ThreatName", "Filename": "Path"},
	})
	for _, s := range windowsServices {
		add(LogsourceMapping{Service: s.service, Product: "windows", Conditions: map[string][]string{routeChannel: s.channels}})
	}
	return m
}
