//! The system-wide files a Windows laptop's OpenSSH reads from `%PROGRAMDATA%\ssh`
//! (`ssh_config` where no OpenSSH client evaluates it, `ssh_known_hosts` always), checked
//! before they are trusted, as OpenSSH for Windows checks its own.
//!
//! `C:\ProgramData` lets every user create folders, and `ssh\` may not exist until an OpenSSH
//! server is installed: another local user could plant a `ProxyCommand` that runs as this
//! user, or pin a host key of their own. So a file there (and its folder) is refused unless
//! its owner is SYSTEM, Administrators, TrustedInstaller or this user, and no one else may
//! write it (`check_secure_file_permission` in Win32-OpenSSH's `w32-sshfileperm.c`, for a
//! file others may read). A link is refused too: its target's descriptor says nothing of who
//! made the link.
//!
//! The decision ([`judge`]) is a pure function over a small model of a security descriptor
//! ([`Descriptor`]), tested on every platform. Only reading a real descriptor is Windows
//! code: `windows-permissions` wraps `GetNamedSecurityInfoW` and the ACL walk, `winsafe` the
//! process token's user, both without `unsafe` here. On other platforms the system files are
//! `/etc/ssh`, root's, and are not checked (nor does OpenSSH check them).

use std::fmt;
use std::path::{Path, PathBuf};

/// `NT AUTHORITY\SYSTEM`.
pub const SYSTEM: &str = "S-1-5-18";
/// `BUILTIN\Administrators`.
pub const ADMINISTRATORS: &str = "S-1-5-32-544";
/// `NT SERVICE\TrustedInstaller`, which owns what Windows itself installs.
pub const TRUSTED_INSTALLER: &str = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

/// Access rights that change a file or a folder, or what a folder holds: writing or
/// appending data (adding files or folders), extended attributes, deleting children,
/// attributes, deleting it, changing its DACL or owner, and the generic rights that include
/// them. Win32-OpenSSH's `SSH_SECURE_WRITE_MASK`, with `FILE_DELETE_CHILD` (a folder's) and
/// the generic rights (left unmapped in inherit-only entries) added.
pub const WRITE_RIGHTS: u32 = 0x0000_0002 // FILE_WRITE_DATA, FILE_ADD_FILE
    | 0x0000_0004 // FILE_APPEND_DATA, FILE_ADD_SUBDIRECTORY
    | 0x0000_0010 // FILE_WRITE_EA
    | 0x0000_0040 // FILE_DELETE_CHILD
    | 0x0000_0100 // FILE_WRITE_ATTRIBUTES
    | 0x0001_0000 // DELETE
    | 0x0004_0000 // WRITE_DAC
    | 0x0008_0000 // WRITE_OWNER
    | 0x1000_0000 // GENERIC_ALL
    | 0x4000_0000; // GENERIC_WRITE

/// What matters of a file's or folder's security descriptor. SIDs are in their string form
/// (`S-1-5-18`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// It is a symbolic link or a junction (a name-surrogate reparse point).
    pub link: bool,
    pub owner: Option<String>,
    /// `None`: no DACL at all, which grants everyone everything.
    pub dacl: Option<Vec<Ace>>,
}

/// One entry of a DACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// An allow entry (of any kind: plain, object, callback); deny and audit entries grant
    /// nothing, and are passed over as OpenSSH passes them over.
    pub allow: bool,
    /// Whom it is for; `None` for an entry that names no SID.
    pub trustee: Option<String>,
    pub mask: u32,
    /// It applies only to what is created inside a folder, not to the folder itself.
    pub inherit_only: bool,
}

/// Why a file or folder cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Link,
    /// Owned by this SID (none: no owner at all).
    Owner(Option<String>),
    /// No DACL: everyone may do anything.
    NoDacl,
    /// This SID (none: an entry without one) may write it.
    Writable(Option<String>),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sid = |s: &Option<String>| s.clone().unwrap_or_else(|| "no one".into());
        match self {
            Self::Link => f.write_str("it is a link (a symbolic link or a junction)"),
            Self::Owner(owner) => write!(f, "it is owned by {}, not by SYSTEM, Administrators or you", sid(owner)),
            Self::NoDacl => f.write_str("it has no access list, so everyone may change it"),
            Self::Writable(who) => write!(
                f,
                "{} may change it",
                who.as_deref().unwrap_or("an entry that names no one")
            ),
        }
    }
}

/// Whether `sid` is one whose writes OpenSSH for Windows accepts: SYSTEM, Administrators,
/// TrustedInstaller, or the user running this tool.
fn trusted(sid: &str, user: &str) -> bool {
    [SYSTEM, ADMINISTRATORS, TRUSTED_INSTALLER, user]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(sid))
}

/// The decision: `d` may be trusted by `user` (a SID), or why not.
pub fn judge(d: &Descriptor, user: &str) -> Result<(), Refusal> {
    if d.link {
        return Err(Refusal::Link);
    }
    match &d.owner {
        Some(owner) if trusted(owner, user) => {}
        owner => return Err(Refusal::Owner(owner.clone())),
    }
    let Some(dacl) = &d.dacl else {
        return Err(Refusal::NoDacl);
    };
    let writer = dacl.iter().find(|ace| {
        ace.allow
            && !ace.inherit_only
            && ace.mask & WRITE_RIGHTS != 0
            && !ace.trustee.as_deref().is_some_and(|t| trusted(t, user))
    });
    match writer {
        Some(ace) => Err(Refusal::Writable(ace.trustee.clone())),
        None => Ok(()),
    }
}

/// A system file (or its folder) that is not trusted, and why: refused as OpenSSH for Windows
/// refuses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} cannot be trusted: {why}", path.display())]
pub struct SystemFileError {
    /// The file or the folder that failed.
    pub path: PathBuf,
    /// The system file that was to be read.
    pub file: PathBuf,
    pub why: String,
}

impl SystemFileError {
    /// What the user can do about it, with the folder to fix.
    pub fn fix(&self) -> String {
        let dir = self.file.parent().unwrap_or(&self.file).display();
        format!(
            "another user could have put it there. If you did not, remove it. If it is yours, let an \
             administrator give the folder to Administrators and let no one else write in it:\n  \
             icacls \"{dir}\" /setowner *{ADMINISTRATORS} /T /C\n  \
             icacls \"{dir}\" /inheritance:r /grant:r *{SYSTEM}:(OI)(CI)F *{ADMINISTRATORS}:(OI)(CI)F *S-1-5-11:(OI)(CI)RX /T /C\n\
             (OpenSSH for Windows refuses such files too)"
        )
    }
}

/// Checks the system file `file`, which exists, and its folder before it is read. On other
/// platforms than Windows there is nothing to check.
pub fn check(file: &Path) -> Result<(), SystemFileError> {
    let folder = file.parent().unwrap_or(file);
    for path in [folder, file] {
        if let Err(why) = trust(path) {
            return Err(SystemFileError {
                path: path.to_owned(),
                file: file.to_owned(),
                why,
            });
        }
    }
    Ok(())
}

#[cfg(not(windows))]
fn trust(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(windows)]
fn trust(path: &Path) -> Result<(), String> {
    let user = windows::current_user()?;
    let descriptor = windows::descriptor(path)?;
    judge(&descriptor, &user).map_err(|refusal| match refusal {
        Refusal::Owner(Some(sid)) => Refusal::Owner(Some(windows::named(&sid))).to_string(),
        Refusal::Writable(Some(sid)) => Refusal::Writable(Some(windows::named(&sid))).to_string(),
        other => other.to_string(),
    })
}

/// The thin reading of a real descriptor: the only code here that calls Windows.
#[cfg(windows)]
mod windows {
    use std::path::Path;

    use windows_permissions::constants::{AceFlags, AceType, SeObjectType, SecurityInformation};
    use windows_permissions::wrappers::{ConvertStringSidToSid, GetNamedSecurityInfo, LookupAccountSid};

    use super::{Ace, Descriptor};

    /// The SID of the user this process runs as, from its token.
    pub fn current_user() -> Result<String, String> {
        use winsafe::co;
        let token = winsafe::HACCESSTOKEN::GetCurrentProcessToken();
        let info = token
            .GetTokenInformation(co::TOKEN_INFORMATION_CLASS::User)
            .map_err(|e| format!("cannot read this process's user: {e}"))?;
        let winsafe::TokenInfo::User(user) = info else {
            return Err("cannot read this process's user".into());
        };
        let sid = user.User.Sid().ok_or("this process's token names no user")?;
        winsafe::ConvertSidToStringSid(sid).map_err(|e| format!("cannot read this process's user: {e}"))
    }

    /// The owner and DACL of `path`, and whether it is a link.
    pub fn descriptor(path: &Path) -> Result<Descriptor, String> {
        let link = std::fs::symlink_metadata(path)
            .map_err(|e| e.to_string())?
            .file_type()
            .is_symlink();
        let sd = GetNamedSecurityInfo(
            path.as_os_str(),
            SeObjectType::SE_FILE_OBJECT,
            SecurityInformation::Owner | SecurityInformation::Dacl,
        )
        .map_err(|e| format!("cannot read who owns it and who may change it: {e}"))?;
        let dacl = sd.dacl().map(|acl| {
            (0..acl.len())
                .filter_map(|i| acl.get_ace(i))
                .map(|ace| Ace {
                    allow: matches!(
                        ace.ace_type(),
                        AceType::ACCESS_ALLOWED_ACE_TYPE
                            | AceType::ACCESS_ALLOWED_CALLBACK_ACE_TYPE
                            | AceType::ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE
                            | AceType::ACCESS_ALLOWED_OBJECT_ACE_TYPE
                    ),
                    trustee: ace.sid().map(ToString::to_string),
                    mask: ace.mask().bits(),
                    inherit_only: ace.flags().contains(AceFlags::InheritOnly),
                })
                .collect()
        });
        Ok(Descriptor {
            link,
            owner: sd.owner().map(ToString::to_string),
            dacl,
        })
    }

    /// `DOMAIN\name (SID)` where Windows can name the SID, else the SID.
    pub fn named(sid: &str) -> String {
        ConvertStringSidToSid(sid)
            .ok()
            .and_then(|s| LookupAccountSid(&s).ok())
            .map_or_else(
                || sid.to_owned(),
                |(name, domain)| format!("{}\\{} ({sid})", domain.to_string_lossy(), name.to_string_lossy()),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";
    const OTHER: &str = "S-1-5-21-1004336348-1177238915-682003330-1002";
    const USERS: &str = "S-1-5-32-545";
    const AUTHENTICATED: &str = "S-1-5-11";
    const CREATOR_OWNER: &str = "S-1-3-0";
    /// Read and execute (`0x1200a9`): what "Authenticated Users" get on an installed
    /// `C:\ProgramData\ssh`.
    const READ_EXECUTE: u32 = 0x0012_00a9;
    const FULL: u32 = 0x001f_01ff;

    fn allow(trustee: &str, mask: u32) -> Ace {
        Ace {
            allow: true,
            trustee: Some(trustee.into()),
            mask,
            inherit_only: false,
        }
    }

    fn sd(owner: &str, dacl: Vec<Ace>) -> Descriptor {
        Descriptor {
            link: false,
            owner: Some(owner.into()),
            dacl: Some(dacl),
        }
    }

    /// As OpenSSH's installer leaves `C:\ProgramData\ssh`: Administrators own it, SYSTEM and
    /// Administrators have full control, Authenticated Users read.
    fn installed() -> Descriptor {
        sd(
            ADMINISTRATORS,
            vec![
                allow(SYSTEM, FULL),
                allow(ADMINISTRATORS, FULL),
                allow(AUTHENTICATED, READ_EXECUTE),
            ],
        )
    }

    #[test]
    fn what_openssh_installs_is_trusted() {
        assert_eq!(judge(&installed(), USER), Ok(()));
        let mut system_owned = installed();
        system_owned.owner = Some(SYSTEM.into());
        assert_eq!(judge(&system_owned, USER), Ok(()));
        let mut windows_owned = installed();
        windows_owned.owner = Some(TRUSTED_INSTALLER.into());
        assert_eq!(judge(&windows_owned, USER), Ok(()));
    }

    #[test]
    fn the_users_own_private_folder_is_trusted() {
        let own = sd(
            USER,
            vec![allow(SYSTEM, FULL), allow(ADMINISTRATORS, FULL), allow(USER, FULL)],
        );
        assert_eq!(judge(&own, USER), Ok(()));
        // SIDs compare without regard to case, as Windows prints them upper case.
        assert_eq!(judge(&own, &USER.to_lowercase()), Ok(()));
    }

    /// Another local user made `C:\ProgramData\ssh` (as any user may): refused, however its
    /// access list reads.
    #[test]
    fn another_users_folder_is_refused() {
        let planted = sd(
            OTHER,
            vec![allow(SYSTEM, FULL), allow(ADMINISTRATORS, FULL), allow(OTHER, FULL)],
        );
        assert_eq!(judge(&planted, USER), Err(Refusal::Owner(Some(OTHER.into()))));
        let mut no_owner = installed();
        no_owner.owner = None;
        assert_eq!(judge(&no_owner, USER), Err(Refusal::Owner(None)));
    }

    /// The user made it, and it inherited `C:\ProgramData`'s "Users may create files and
    /// folders": others may write in it.
    #[test]
    fn a_folder_others_may_write_is_refused() {
        for mask in [
            0x2,
            0x4,
            0x10,
            0x40,
            0x100,
            0x1_0000,
            0x4_0000,
            0x8_0000,
            0x1000_0000,
            0x4000_0000,
        ] {
            let mut open = installed();
            open.dacl.as_mut().unwrap().push(allow(USERS, READ_EXECUTE | mask));
            assert_eq!(
                judge(&open, USER),
                Err(Refusal::Writable(Some(USERS.into()))),
                "{mask:#x}"
            );
        }
        let mut everyone = installed();
        everyone.dacl.as_mut().unwrap().push(allow("S-1-1-0", FULL));
        assert_eq!(judge(&everyone, USER), Err(Refusal::Writable(Some("S-1-1-0".into()))));
        let mut nameless = installed();
        nameless.dacl.as_mut().unwrap().push(Ace {
            allow: true,
            trustee: None,
            mask: FULL,
            inherit_only: false,
        });
        assert_eq!(judge(&nameless, USER), Err(Refusal::Writable(None)));
        let no_dacl = Descriptor {
            link: false,
            owner: Some(ADMINISTRATORS.into()),
            dacl: None,
        };
        assert_eq!(judge(&no_dacl, USER), Err(Refusal::NoDacl));
    }

    /// Entries that grant others nothing on the object itself: reading, a deny, an entry
    /// only for what is created inside (CREATOR OWNER's, as C:\ProgramData hands down).
    #[test]
    fn reading_denying_and_inherit_only_entries_pass() {
        let mut d = installed();
        let dacl = d.dacl.as_mut().unwrap();
        dacl.push(allow(USERS, READ_EXECUTE));
        dacl.push(Ace {
            allow: false,
            trustee: Some(OTHER.into()),
            mask: FULL,
            inherit_only: false,
        });
        dacl.push(Ace {
            allow: true,
            trustee: Some(CREATOR_OWNER.into()),
            mask: 0x1000_0000,
            inherit_only: true,
        });
        assert_eq!(judge(&d, USER), Ok(()));
    }

    /// A link (a junction another user made, pointing at a folder of this user's) is refused
    /// before its target's owner is looked at.
    #[test]
    fn links_are_refused() {
        let mut link = installed();
        link.link = true;
        assert_eq!(judge(&link, USER), Err(Refusal::Link));
    }

    #[test]
    fn the_error_names_the_file_and_the_fix() {
        let e = SystemFileError {
            path: PathBuf::from(r"C:\ProgramData\ssh"),
            file: PathBuf::from(r"C:\ProgramData\ssh").join("ssh_config"),
            why: Refusal::Owner(Some(OTHER.into())).to_string(),
        };
        let text = e.to_string();
        assert!(text.contains("cannot be trusted: it is owned by S-1-5-21-"), "{text}");
        let fix = e.fix();
        assert!(
            fix.contains("/setowner *S-1-5-32-544") && fix.contains("remove it"),
            "{fix}"
        );
    }

    #[test]
    fn nothing_to_check_off_windows() {
        if !cfg!(windows) {
            assert_eq!(check(Path::new("/etc/ssh/ssh_config")), Ok(()));
        }
    }
}
