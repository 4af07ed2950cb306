; Inno Setup 6 script: a Windows installer for the one-folder bundle dist\LaborBridge\.
;
;   1. build the bundle on Windows:  packaging\build.bat   (or PyInstaller with packaging\laborbridge.spec)
;   2. compile the installer:        iscc packaging\laborbridge.iss
;   -> dist\installer\LaborBridge-<version>-setup.exe
;
; Saved as UTF-8 with a byte-order mark: Inno Setup then reads the Chinese names correctly.
; The version comes from the built executable's version resource (packaging\version_info.txt, stamped
; from ui/about_dialog.py VERSION), so the installer and the program never disagree.
; Installs per user without administrator rights by default (county office PCs are often locked down);
; an administrator may choose "all users". User data (database, settings, backups) lives in the user
; data folder and is never removed by the uninstaller.

#define AppName "LaborBridge"
#define AppNameZh "劳务协作桥"
#define BundleDir AddBackslash(SourcePath) + "..\dist\LaborBridge"
#define AppExe "LaborBridge.exe"
#ifndef AppVersion
  #define AppVersion GetVersionNumbersString(BundleDir + "\" + AppExe)
#endif

[Setup]
AppId={{6F0C1E0B-6A52-4C1B-9E55-3B7A2D4C8E11}
AppName={#AppNameZh} {#AppName}
AppVersion={#AppVersion}
AppVerName={#AppNameZh} {#AppName} {#AppVersion}
AppPublisher=LaborBridge
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppNameZh}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppNameZh} {#AppName}
SetupIconFile=..\resources\icons\laborbridge.ico
OutputDir=..\dist\installer
OutputBaseFilename=LaborBridge-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DisableProgramGroupPage=yes
MinVersion=10.0

[Languages]
; Chinese first: it is the default UI language. ChineseSimplified.isl ships with recent Inno Setup
; releases; where it is missing the installer is English only.
#if FileExists(CompilerPath + "Languages\ChineseSimplified.isl")
Name: "chinesesimp"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppNameZh}"; Filename: "{app}\{#AppExe}"; Comment: "{#AppNameZh} {#AppName}"
Name: "{autodesktop}\{#AppNameZh}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppNameZh}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only files the program itself may leave beside the executable; never the user's data folder.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
