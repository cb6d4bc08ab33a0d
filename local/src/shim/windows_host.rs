//! Telling a Windows host from what it answers to the shim's exec. Windows OpenSSH runs an
//! exec through the account's shell, cmd or PowerShell, neither of which is the POSIX shell
//! the shim needs: the exec then fails in the shell's own words, before the shim says hello.
//! Windows hosts are not supported; naming them beats a lost connection or a protocol error.

/// Lines kept from before the shim's first event, to recognise the shell's complaint.
pub const KEPT: usize = 8;

/// What cmd and PowerShell (5 and 7) say when `sh` is no command they know, in English; other
/// languages still end as a host that never spoke the protocol.
const SIGNS: [&str; 5] = [
    // cmd
    "is not recognized as an internal or external command",
    "operable program or batch file",
    // Windows PowerShell 5, then PowerShell 7
    "is not recognized as the name of a cmdlet",
    "is not recognized as a name of a cmdlet",
    "CommandNotFoundException",
];

/// Whether these stderr lines, from an exec that ended before the shim said anything, are
/// cmd's or PowerShell's.
pub fn answered(lines: &[String]) -> bool {
    lines.iter().any(|line| SIGNS.iter().any(|sign| line.contains(sign)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn cmd_and_powershell_are_recognised() {
        let cmd = "'sh' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n";
        let powershell5 = "sh : The term 'sh' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\r\nAt line:1 char:1\r\n+ sh -c 'eval \"$(echo ...\r\n    + CategoryInfo          : ObjectNotFound: (sh:String) [], CommandNotFoundException\r\n    + FullyQualifiedErrorId : CommandNotFoundException\r\n";
        let powershell7 = "sh: The term 'sh' is not recognized as a name of a cmdlet, function, script file, or executable program.\r\nCheck the spelling of the name, or if a path was included, verify that the path is correct and try again.\r\n";
        for (shell, text) in [
            ("cmd", cmd),
            ("PowerShell 5", powershell5),
            ("PowerShell 7", powershell7),
        ] {
            assert!(answered(&lines(text)), "{shell}");
        }
    }

    #[test]
    fn posix_hosts_are_not_taken_for_windows() {
        for text in [
            "sh: 1: base64: not found\n",
            "bash: line 1: codex: command not found\n",
            "This account is currently not available.\n",
            "",
        ] {
            assert!(!answered(&lines(text)), "{text:?}");
        }
    }
}
