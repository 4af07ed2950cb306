"""Writing a file so that it is either complete or absent: a temp file beside the target, its size
checked, fsync, then one rename. Any failure removes the temp file and becomes one sentence naming
the cause (disk full, read-only, no permission); an existing file at the target stays untouched.
No SQL, no Qt: services pass an audit step (``publish``) that runs the rename inside their
transaction, so a file appears exactly when its audit entry does.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.i18n import UserError

_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM}


def cannot_write(target: Path, exc: OSError | None) -> UserError:
    """One sentence for a failed write, naming the cause the user can act on."""
    code = getattr(exc, "errno", None)
    if code in _FULL:
        zh, en = "磁盘空间已满，请清理磁盘或换一个位置保存", "the disk is full; free some space or save elsewhere"
    elif code == errno.EROFS:
        zh, en = "该位置是只读的，请换一个位置保存", "the location is read-only; save elsewhere"
    elif code in _DENIED:
        zh, en = ("没有写入权限，或文件正在其他程序（如 Excel）中打开，请换一个文件夹或先关闭该文件",
                  "no permission to write there, or the file is open in another program (such as Excel); "
                  "choose another folder or close the file first")
    elif code == errno.EIO:
        zh, en = ("写入磁盘时出错（磁盘可能已满、已拔出或已损坏）",
                  "the disk reported an error (it may be full, removed or damaged)")
    elif exc is None:
        zh, en = "写入的文件是空的（磁盘可能已满）", "the written file is empty (the disk may be full)"
    else:
        reason = exc.strerror or str(exc)
        zh, en = f"{reason}", f"{reason}"
    return UserError(f"无法写入“{target}”：{zh}。文件未保存。", f"Cannot write '{target}': {en}. Nothing was saved.",
                     code=2)


def os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind an exception (xlsxwriter and pandas wrap it in their own)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError):
            return e
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        todo.extend(c for c in (e.__cause__, e.__context__) if c is not None)
    return None


def temp_beside(target: Path) -> Path:
    """An empty temp file in the target's folder (so the final rename is atomic); clear errors."""
    if target.is_dir():
        raise UserError(f"无法写入“{target}”：这是一个文件夹，请给出文件名。",
                        f"Cannot write '{target}': it is a folder; give a file name.", code=2)
    folder = target.parent
    if not folder.is_dir():
        raise UserError(f"无法写入“{target}”：文件夹“{folder}”不存在。",
                        f"Cannot write '{target}': the folder '{folder}' does not exist.", code=2)
    try:
        fd, name = tempfile.mkstemp(prefix=".~" + target.stem[:40], suffix=target.suffix + ".part", dir=folder)
    except OSError as exc:
        raise cannot_write(target, exc) from None
    os.close(fd)
    return Path(name)


def _fsync(path: Path, *, directory: bool = False) -> None:
    if directory and os.name == "nt":
        return  # Windows cannot open a folder for fsync; NTFS journals the rename
    fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR)
    try:
        os.fsync(fd)
    except OSError as exc:
        if not directory or exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _is_special(path: Path) -> bool:
    """A device or pipe (/dev/stdout, /dev/full, a FIFO): written in place, it cannot be renamed over."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def write_file(path: str | os.PathLike[str], write: Callable[[Path], object], *,
               publish: Callable[[Callable[[], None]], None] | None = None,
               verify: Callable[[Path], bool] | None = None) -> Path:
    """``write(tmp)`` into a temp file beside ``path``, check it, fsync, and put it in place.

    ``publish(put_in_place)``, when given, must call ``put_in_place()`` inside the transaction that
    records the file (the audit entry): if that transaction fails after the rename, the file is
    removed again. ``verify(tmp)`` may check the content (e.g. a PDF trailer); False means the
    writer lost data (a full disk some writers do not report). Returns the absolute target.
    """
    target = Path(path).expanduser().absolute()
    if target.is_symlink():
        target = target.resolve()  # the file the link points at is the one to replace
    special = _is_special(target)
    tmp = temp_beside(Path(path).expanduser().absolute() if special else target)
    placed = False
    try:
        try:
            write(tmp)
            size = tmp.stat().st_size
            if size == 0 or (verify is not None and not verify(tmp)):
                raise cannot_write(target, None)
            _fsync(tmp)
        except UserError:
            raise
        except Exception as exc:
            os_exc = os_error_in(exc)
            if os_exc is None:
                raise
            raise cannot_write(target, os_exc) from None

        def put_in_place() -> None:
            nonlocal placed
            try:
                if special:
                    with tmp.open("rb") as src, target.open("wb") as dst:
                        while chunk := src.read(1 << 20):
                            dst.write(chunk)
                        dst.flush()
                else:
                    os.replace(tmp, target)
                    placed = True
                    try:
                        _fsync(target.parent, directory=True)
                    except OSError:
                        pass  # the rename happened; a folder that cannot be synced is no reason to fail
            except OSError as exc:
                raise cannot_write(target, exc) from None

        try:
            if publish is None:
                put_in_place()
            else:
                publish(put_in_place)
        except BaseException:
            # The audit entry did not commit after the rename: an unaudited file must not remain.
            if placed and target.exists():
                target.unlink()
            raise
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    return target
