from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tiercare.referrals"
    label = "referrals"

    def ready(self) -> None:
        # Care sits below referrals and reaches it only through this registration (ADR 0005).
        from tiercare.care.referral_maker import register_referral_maker
        from tiercare.referrals.care_seam import make_referral_for_care

        register_referral_maker(make_referral_for_care)
