package checkup

// The kinds of finding the store's own sources report (store/checkup_sources.go), with their
// texts. A source registered elsewhere describes its kinds with Describe.
func init() {
	for kind, t := range map[string]kindText{
		// Versions (the hub's list: what each device reported at its last sync).
		"update_available": {T("Spoke update available", "有可用的 Spoke 更新"),
			T("Device {device} runs Spoke {version}; the newest version seen at the hub is {newest}. Install the update on that device.",
				"设备 {device} 运行 Spoke {version}；中心服务器见到的最新版本为 {newest}。请在该设备上安装更新。")},
		"version_unknown": {T("Device has not reported its version", "设备未报告其版本"),
			T("Device {device} has not reported which Spoke version it runs: it runs a release from before version reports, or has not synced since. Update it and let it sync.",
				"设备 {device} 尚未报告其运行的 Spoke 版本：它运行的是早于版本报告功能的版本，或此后没有同步。请更新该设备并让它同步。")},
		"hub_update_available": {T("Hub update available", "中心服务器有可用更新"),
			T("The hub runs Spoke {hub}; devices already run {newest}. Ask the hub's operator to update spoke-hub.",
				"中心服务器运行 Spoke {hub}；已有设备运行 {newest}。请中心服务器的管理员更新 spoke-hub。")},
		// The hub's list itself.
		"not_connected": {T("Not connected to a hub", "未连接中心服务器"),
			T("This device is not connected to a hub: other devices' versions and last syncs cannot be checked, and the audit trail is anchored only on this device.",
				"此设备未连接中心服务器：无法检查其他设备的版本和最近同步时间，审计记录只在本设备上锚定。")},
		"hub_view_missing": {T("No device list from the hub yet", "尚无来自中心服务器的设备列表"),
			T("This device has not received the hub's list of devices and versions yet: sync it, then run the check-up again.",
				"此设备尚未收到中心服务器的设备与版本列表：请先同步，再运行检查。")},
		"hub_view_stale": {T("The device list from the hub is old", "来自中心服务器的设备列表已过时"),
			T("The hub's list of devices and versions on this device is {days} days old (received {at}): sync this device.",
				"本设备上的中心服务器设备与版本列表已有 {days} 天（接收于 {at}）：请同步本设备。")},
		// Devices: the hub's list against the owner-signed roster.
		"device_silent": {T("Device has not synced", "设备长时间未同步"),
			T("Device {device} ({role}) has not synced for {days} days (last {last}); the limit is {limit} days. Find the machine: if it is lost or stolen, revoke it and record an incident.",
				"设备 {device}（{role}）已 {days} 天未同步（最近一次 {last}）；上限为 {limit} 天。请找到这台机器：如已丢失或被盗，请吊销并登记事件。")},
		"device_revoked_active": {T("Revoked device still active at the hub", "已吊销的设备在中心服务器上仍处于活动状态"),
			T("Device {device} is revoked in the owner-signed device list, but the hub still lets it sync: revoke it at the hub as well (spoke devices revoke {device}).",
				"设备 {device} 在店主签名的设备列表中已被吊销，但中心服务器仍允许其同步：请同样在中心服务器上吊销（spoke devices revoke {device}）。")},
		"device_unknown": {T("Device unknown to the device list", "设备列表中没有的设备"),
			T("The hub lists active device {device}, which the owner-signed device list does not hold: if you enrolled it, sync an owner device to confirm it; otherwise revoke it at the hub.",
				"中心服务器列出了活动设备 {device}，但店主签名的设备列表中没有它：如果是您登记的设备，请同步店主设备以确认；否则请在中心服务器上吊销。")},
		"device_revoked_at_hub": {T("Device revoked at the hub only", "设备仅在中心服务器上被吊销"),
			T("The hub has revoked device {device}, which the owner-signed device list still holds as active: finish the revocation on an owner device (spoke devices revoke {device}) so its keys are rotated.",
				"中心服务器已吊销设备 {device}，但店主签名的设备列表仍将其列为活动设备：请在店主设备上完成吊销（spoke devices revoke {device}），以轮换其密钥。")},
		// This device's master key.
		"key_passphrase": {T("Master key under a passphrase", "主密钥由口令保护"),
			T("This device ({device}) keeps its master key wrapped by a passphrase instead of the OS keychain: keep the passphrase long and known to the owner only, and where this machine has a keychain, move the key there.",
				"此设备（{device}）的主密钥由口令加密保存，而不是保存在操作系统钥匙串中：请使用足够长、只有店主知道的口令；如果这台机器有钥匙串，请把密钥移到钥匙串中。")},
		// Backups and restore drills (this device).
		"backup_none": {T("No backups configured", "未配置备份"),
			T("No backup folder is set on this device ({device}): choose one on the Backups screen (or spoke backup) so the data can be restored after a loss.",
				"此设备（{device}）未设置备份文件夹：请在“备份”界面（或使用 spoke backup）选择一个，以便数据丢失后能够恢复。")},
		"backup_never": {T("No backup taken yet", "尚未进行过备份"),
			T("Backups are set up on this device ({device}), but none has been taken yet: take one now.",
				"此设备（{device}）已设置备份，但尚未进行过备份：请立即备份。")},
		"backup_overdue": {T("Backup overdue", "备份已逾期"),
			T("The newest backup on this device ({device}) is from {last}, {hours} hours ago; the schedule asks for one every {limit_hours} hours.",
				"此设备（{device}）最新的备份来自 {last}，已过去 {hours} 小时；计划要求每 {limit_hours} 小时备份一次。")},
		"drill_overdue": {T("Restore drill overdue", "恢复演练已逾期"),
			T("The last restore drill that passed on this device ({device}) was {last}; the schedule asks for one every {limit_hours} hours. A drill runs after each backup: take one.",
				"此设备（{device}）最近一次通过的恢复演练是在 {last}；计划要求每 {limit_hours} 小时一次。每次备份后都会进行演练：请进行一次备份。")},
		"drill_failed": {T("Restore drill failed", "恢复演练失败"),
			T("The latest restore drill on this device ({device}) failed on {at}: check the backup folder (spoke backups check) and take a new full backup.",
				"此设备（{device}）最近一次恢复演练于 {at} 失败：请检查备份文件夹（spoke backups check）并进行一次新的完整备份。")},
		// Privacy requests and the breach register.
		"requests_overdue": {T("Privacy requests overdue", "隐私请求已逾期"),
			T("{count} privacy request(s) are past their legal deadline: answer them on the Privacy desk.",
				"{count} 项隐私请求已超过法定期限：请在“隐私”工作台处理。")},
		"incident_open": {T("Breach register: open incident", "泄露登记：未结事件"),
			T("Incident {incident} ({kind}) is open: decide whether to notify by {due}.",
				"事件 {incident}（{kind}）尚未结案：请在 {due} 之前决定是否通知。")},
		"incident_overdue": {T("Breach register: notification deadline passed", "泄露登记：通知期限已过"),
			T("Incident {incident} ({kind}) passed its 72-hour deadline on {due} without a decision: decide now and record why it was late.",
				"事件 {incident}（{kind}）已于 {due} 超过 72 小时期限而未作决定：请立即决定并记录延误原因。")},
		// Staff passwords, as checked at sign-in.
		"password_weak": {T("Password fails the policy", "密码不符合密码策略"),
			T("The password of {username} was {rule} when they signed in on {at}: they must change it at their next sign-in on an owner device, or the owner resets it.",
				"账户 {username} 于 {at} 登录时使用的密码为{rule}：其下次在店主设备上登录时必须更改密码，或由店主重置。")},
		// Configuration changes since the last check-up.
		"config_change": {T("Configuration changed: {name}", "配置已更改：{name}"),
			T("{name} changed from {old} to {new} by {by} on {at} (device {device}).",
				"{name} 由 {by} 于 {at}（设备 {device}）从 {old} 改为 {new}。")},
		"config_changes_more": {T("More configuration changes", "更多配置更改"),
			T("{count} more configuration changes since the last check-up are in the audit trail (action settings.change).",
				"自上次检查以来还有 {count} 项配置更改记录在审计记录中（操作 settings.change）。")},
	} {
		kinds[kind] = t
	}
}
