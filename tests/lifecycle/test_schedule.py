"""Schedule math as Coder tests it: TestCalculateAutoStop, Test_ActivityBumpWorkspace and the
cron parser (DST: skipped and repeated local times)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workspaces.lifecycle import cron
from workspaces.lifecycle.deadlines import bump_target
from workspaces.lifecycle.schedule import ScheduleError, TemplateSchedule, calculate_autostop, next_allowed_autostart

SYD = ZoneInfo("Australia/Sydney")
SYD_MIDNIGHT = "CRON_TZ=Australia/Sydney 0 0 * * *"
H = timedelta(hours=1)
SAT, SUN, MON = 5, 6, 0


def syd(*args) -> datetime:
    return datetime(*args, tzinfo=SYD)


def tmpl(**kw) -> TemplateSchedule:
    for key in ("autostop_days", "autostart_days"):
        if key in kw:
            kw[key] = frozenset(kw[key])
    return TemplateSchedule(**kw)


THU = syd(2023, 9, 14, 12, 0)  # a Thursday, week 36 since Coder's epoch (2023-01-02); Sep 21: week 37


@pytest.mark.parametrize("name, now, transition, ws_ttl_h, autostart, t, quiet, deadline, max_deadline", [
    ("OK", THU, "start", 1, "", tmpl(), SYD_MIDNIGHT, THU + H, None),
    ("Delete", THU, "delete", 1, "", tmpl(), SYD_MIDNIGHT, None, None),
    ("Stop", THU, "stop", 1, "", tmpl(), SYD_MIDNIGHT, None, None),
    ("TemplateDefaultTTLIgnored", THU, "start", 0, "", tmpl(default_ttl=3 * H), SYD_MIDNIGHT, None, None),
    ("WorkspaceTTLOverridesTemplateDefaultTTL", THU, "start", 2, "", tmpl(default_ttl=3 * H), SYD_MIDNIGHT,
     THU + 2 * H, None),
    ("TemplateBlockWorkspaceTTL", THU, "start", 2, "", tmpl(default_ttl=3 * H, user_autostop_enabled=False),
     SYD_MIDNIGHT, THU + 3 * H, None),
    ("TemplateAutostopRequirement", THU, "start", 0, "", tmpl(autostop_days={SAT}), SYD_MIDNIGHT,
     syd(2023, 9, 16), syd(2023, 9, 16)),
    ("TemplateAutostopRequirement1HourSkip", syd(2023, 9, 15, 23, 0), "start", 0, "", tmpl(autostop_days={SAT}),
     SYD_MIDNIGHT, syd(2023, 9, 23), syd(2023, 9, 23)),
    ("TemplateAutostopRequirementDaily", THU, "start", 0, "", tmpl(autostop_days=range(7)), SYD_MIDNIGHT,
     syd(2023, 9, 15), syd(2023, 9, 15)),
    ("TemplateAutostopRequirementFortnightly/NoSkip", THU, "start", 0, "",
     tmpl(autostop_days={SAT}, autostop_weeks=2), SYD_MIDNIGHT, syd(2023, 9, 16), syd(2023, 9, 16)),
    ("TemplateAutostopRequirementFortnightly/Skip", syd(2023, 9, 21, 12), "start", 0, "",
     tmpl(autostop_days={SAT}, autostop_weeks=2), SYD_MIDNIGHT, syd(2023, 9, 30), syd(2023, 9, 30)),
    ("TemplateAutostopRequirementTriweekly/NoSkip", THU, "start", 0, "",
     tmpl(autostop_days={SAT}, autostop_weeks=3), SYD_MIDNIGHT, syd(2023, 9, 16), syd(2023, 9, 16)),
    ("TemplateAutostopRequirementTriweekly/Skip", syd(2023, 9, 21, 12), "start", 0, "",
     tmpl(autostop_days={SAT}, autostop_weeks=3), SYD_MIDNIGHT, syd(2023, 10, 7), syd(2023, 10, 7)),
    ("TemplateAutostopRequirementOverridesWorkspaceTTL", THU, "start", 5 * 24, "", tmpl(autostop_days={SAT}),
     SYD_MIDNIGHT, syd(2023, 9, 16), syd(2023, 9, 16)),
    ("TemplateAutostopRequirementKeepsShorterTTL", THU, "start", 2, "", tmpl(autostop_days={SAT}),
     SYD_MIDNIGHT, THU + 2 * H, syd(2023, 9, 16)),
    ("TemplateAutostopRequirementOverridesTemplateDefaultTTL", THU, "start", 0, "",
     tmpl(autostop_days={SAT}, default_ttl=5 * 24 * H, user_autostop_enabled=False), SYD_MIDNIGHT,
     syd(2023, 9, 16), syd(2023, 9, 16)),
    # DST: Sydney springs forward on Sunday 2023-10-01 (02:00 -> 03:00), falls back on 2023-04-02.
    ("DaylightSavings/SwitchMidWeek/In", syd(2023, 9, 28, 12), "start", 0, "", tmpl(autostop_days={MON}),
     SYD_MIDNIGHT, syd(2023, 10, 2), syd(2023, 10, 2)),
    ("DaylightSavings/SwitchMidWeek/Out", syd(2023, 3, 30, 12), "start", 0, "", tmpl(autostop_days={MON}),
     SYD_MIDNIGHT, syd(2023, 4, 3), syd(2023, 4, 3)),
    ("DaylightSavings/QuietHoursFallsOnDstSwitch/In", syd(2023, 9, 28, 12), "start", 0, "",
     tmpl(autostop_days={SUN}), "CRON_TZ=Australia/Sydney 30 2 * * *", syd(2023, 10, 2, 2, 30),
     syd(2023, 10, 2, 2, 30)),
    ("DaylightSavings/QuietHoursFallsOnDstSwitch/Out", syd(2023, 3, 30, 12), "start", 0, "",
     tmpl(autostop_days={SUN}), "CRON_TZ=Australia/Sydney 30 2 * * *", datetime(2023, 4, 1, 15, 30, tzinfo=UTC),
     datetime(2023, 4, 1, 15, 30, tzinfo=UTC)),
    # A manual start at 21:45 with a 09:00 autostart and 12 h TTL runs until 21:00 the next day.
    ("AutostopCrossAutostartBorder", datetime(2023, 9, 14, 21, 45, tzinfo=UTC), "start", 12, "0 9 * * *", tmpl(),
     SYD_MIDNIGHT, datetime(2023, 9, 15, 21, 0, tzinfo=UTC), None),
    ("AutostopCrossMissAutostartBorder", datetime(2023, 9, 14, 21, 45, tzinfo=UTC), "start", 12, "0 9 * * *",
     tmpl(autostart_days={MON}), SYD_MIDNIGHT, datetime(2023, 9, 15, 9, 45, tzinfo=UTC), None),
])
def test_calculate_autostop(name, now, transition, ws_ttl_h, autostart, t, quiet, deadline, max_deadline):
    got = calculate_autostop(now=now, transition=transition, ws_ttl_ms=int(ws_ttl_h * 3_600_000) or None,
                             autostart_schedule=autostart, tmpl=t, quiet_hours=quiet)
    assert got == (deadline, max_deadline), name


def test_time_before_epoch_is_a_clock_error():
    with pytest.raises(ScheduleError, match="system clock is incorrect"):
        calculate_autostop(now=syd(2022, 6, 1, 12), transition="start", ws_ttl_ms=None, autostart_schedule="",
                           tmpl=tmpl(autostop_days={SAT}, autostop_weeks=2), quiet_hours=SYD_MIDNIGHT)


NOW = datetime(2023, 9, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("name, deadline, max_deadline, ws_ttl_h, autostart, t, expected", [
    ("ManualShutdown", None, None, 8, "", tmpl(), None),
    ("NotTimeToBumpYet", NOW + 58 * timedelta(minutes=1), None, 8, "", tmpl(), None),
    ("TimeToBump", NOW + timedelta(minutes=10), None, 8, "", tmpl(), NOW + H),
    ("BumpLessThanDeadline", NOW + timedelta(minutes=50), None, 8, "", tmpl(activity_bump=timedelta(minutes=30)),
     None),
    ("TimeToBumpNextAutostart", NOW + timedelta(minutes=10), None, 8, "30 12 * * *", tmpl(),
     datetime(2023, 9, 14, 20, 30, tzinfo=UTC)),
    ("MaxDeadline", NOW + timedelta(minutes=10), NOW + timedelta(minutes=30), 8, "", tmpl(),
     NOW + timedelta(minutes=30)),
    ("PastDeadlineStillBumps", NOW - timedelta(minutes=5), None, 8, "", tmpl(), NOW + H),
    ("TemplateCustomActivityBump", NOW + timedelta(minutes=10), None, 8, "", tmpl(activity_bump=5 * H), NOW + 5 * H),
    ("TemplateCustomActivityBumpZero", NOW + timedelta(minutes=10), None, 8, "", tmpl(activity_bump=timedelta(0)),
     None),
    ("TemplateDisallowsUserAutostop", NOW + timedelta(minutes=10), None, 8, "30 12 * * *",
     tmpl(user_autostop_enabled=False, default_ttl=2 * H), datetime(2023, 9, 14, 14, 30, tzinfo=UTC)),
])
def test_activity_bump(name, deadline, max_deadline, ws_ttl_h, autostart, t, expected):
    got = bump_target(now=NOW, deadline=deadline, max_deadline=max_deadline, ws_ttl_ms=ws_ttl_h * 3_600_000,
                      autostart_schedule=autostart, tmpl=t)
    assert got == expected, name


@pytest.mark.parametrize("raw, error", [
    ("0 9 * * 1-5", None),
    ("CRON_TZ=Europe/Paris 30 9 * * *", None),
    ("0 9 1 * *", "expected day-of-month and month to be *"),
    ("0 9 * *", "expected schedule to consist of 5 fields"),
    ("CRON_TZ=Mars/Olympus 0 9 * * *", "unknown time zone"),
    ("CRON_TZ=Local 0 9 * * *", "time.Local are not supported"),
    ("61 9 * * *", "parse schedule"),
])
def test_weekly_parsing(raw, error):
    if error is None:
        assert str(cron.weekly(raw)).startswith("CRON_TZ=")
    else:
        with pytest.raises(ValueError, match=error.replace("*", r"\*").replace(".", r"\.")):
            cron.weekly(raw)


def test_daily_refuses_days_and_several_times():
    with pytest.raises(ValueError):
        cron.daily("0 0 * * 1")
    with pytest.raises(ValueError, match="more than one time"):
        cron.daily("0 0,12 * * *")
    assert cron.daily("CRON_TZ=Asia/Kolkata 30 1 * * *").time_of_day() == "01:30"


def test_next_allowed_autostart_skips_blocked_days_in_the_schedules_zone():
    # 23:30 Monday in Auckland is still Monday there though it is Monday 10:30 UTC.
    schedule = "CRON_TZ=Pacific/Auckland 30 23 * * *"
    monday_only = tmpl(autostart_days={MON})
    start = datetime(2023, 9, 12, 0, 0, tzinfo=UTC)  # Tuesday in both zones
    got = next_allowed_autostart(start, schedule, monday_only)
    assert got.astimezone(ZoneInfo("Pacific/Auckland")).weekday() == MON
    assert next_allowed_autostart(start, schedule, tmpl(autostart_days=set())) is None
