"""Units as Chinese pages write them: a heart rate is 次/分 on the follow-up form and in its refusals, beats/min in
English."""

from __future__ import annotations

import pytest
from django.utils import translation

from tiercare.care.forms import FollowUpForm
from tiercare.care.plausibility import check_measurements
from tiercare.care.protocols import load_protocol


def test_heart_rate_refusal_in_both_languages() -> None:
    (problem,) = check_measurements({"heart_rate_bpm": 300})
    assert problem.message_zh.startswith("心率 300 次/分 高于可能的最高值 250 次/分")
    assert "beats" not in problem.message_zh
    assert "300 beats/min" in problem.message_en


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "label"), [("zh-hans", "心率 (次/分)"), ("en", "Heart rate (beats/min)")])
def test_the_follow_up_form_labels_the_unit_in_the_users_language(language, label) -> None:
    with translation.override(language):
        form = FollowUpForm(protocol=load_protocol("hypertension"))
        assert str(form.fields["heart_rate_bpm"].label) == label
