"""财政复核 evidence: the reviewer's 复核依据 and the unit's 异议材料 — who adds them, who sees
them (whoever sees the spot check), and that they freeze once the result / decision is final."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import AttachmentKind, SpotCheckOutcome
from performance.models import Attachment, SpotCheck
from performance.selectors.attachments import anchor_for, attachments_for
from performance.services import attachments as attachment_services
from performance.services import spot_checks as sc
from performance.services import workflow
from projects.models import AuditEntry
from tests.performance.services.test_spot_checks import draw_pension, rescored
from tests.support import evidence_files as ef

pytestmark = pytest.mark.django_db


def add(actor, kind: str, spot_check: SpotCheck, *files):
    return attachment_services.attachment_add(
        actor=actor,
        anchor=attachment_services.Anchor(kind=kind, obj=spot_check),
        files=list(files),
    )


def publish(spot_check: SpotCheck, finance_reviewer, second) -> SpotCheck:
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    workflow.approve(obj=spot_check, actor=second)
    spot_check.refresh_from_db()
    return spot_check


def test_reviewer_evidence_is_finance_only_until_published_then_frozen(
    finance_reviewer, finance2, reviewer305, evidence_storage
):
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    (stored,) = add(
        finance_reviewer,
        AttachmentKind.SPOT_CHECK,
        spot_check,
        ef.upload("复核依据.pdf", ef.pdf_bytes("台账")),
    )
    assert stored.spot_check_id == spot_check.pk and stored.kind == AttachmentKind.SPOT_CHECK
    assert AuditEntry.objects.filter(
        object_id=str(spot_check.pk), comment__contains="复核依据.pdf"
    ).exists()
    # a draft is the finance bureau's: the unit sees neither the spot check nor its files
    assert not attachments_for(reviewer305).filter(pk=stored.pk).exists()
    assert anchor_for(user=reviewer305, kind=AttachmentKind.SPOT_CHECK, pk=spot_check.pk) is None
    with pytest.raises(PermissionDenied):
        attachment_services.attachment_open(actor=reviewer305, attachment=stored)
    with pytest.raises(PermissionDenied):  # the unit cannot add the reviewer's evidence
        add(reviewer305, AttachmentKind.SPOT_CHECK, spot_check, ef.upload("a.pdf", ef.pdf_bytes()))

    publish(spot_check, finance_reviewer, finance2)
    assert attachments_for(reviewer305).filter(pk=stored.pk).exists()
    attachment_services.attachment_open(actor=reviewer305, attachment=stored).close()
    with pytest.raises(ValidationError) as frozen:
        add(
            finance_reviewer,
            AttachmentKind.SPOT_CHECK,
            spot_check,
            ef.upload("补充.pdf", ef.pdf_bytes("补充")),
        )
    assert "已封存" in frozen.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        attachment_services.attachment_delete(actor=finance_reviewer, attachment=stored)
    assert Attachment.objects.filter(spot_check=spot_check).count() == 1


def test_unit_objects_with_evidence_and_it_freezes_with_the_decision(
    finance_reviewer, finance2, reviewer305, filler, evidence_storage
):
    spot_check = publish(
        rescored(draw_pension(finance_reviewer), finance_reviewer), finance_reviewer, finance2
    )
    with pytest.raises(ValidationError) as early:  # evidence comes with the objection
        add(reviewer305, AttachmentKind.OBJECTION, spot_check, ef.upload("a.pdf", ef.pdf_bytes()))
    assert "提出异议时" in early.value.message_dict["status"][0]
    sc.spot_check_object(
        actor=reviewer305,
        spot_check=spot_check,
        reason="台账漏记第四季度完成情况",
        files=[ef.upload("异议说明.pdf", ef.pdf_bytes("异议"))],
    )
    (objection,) = Attachment.objects.filter(kind=AttachmentKind.OBJECTION)
    assert objection.spot_check_id == spot_check.pk and objection.name == "异议说明.pdf"
    # until the decision the unit may add more; the finance bureau and a 填报人 may not
    add(reviewer305, AttachmentKind.OBJECTION, spot_check, ef.upload("台账.png", ef.png_bytes()))
    for other in (finance_reviewer, filler):
        with pytest.raises(PermissionDenied):
            add(other, AttachmentKind.OBJECTION, spot_check, ef.upload("b.pdf", ef.pdf_bytes("b")))
    sc.spot_check_decide(
        actor=finance2, spot_check=spot_check, decision=SpotCheckOutcome.UPHELD, comment="维持"
    )
    with pytest.raises(ValidationError) as final:
        add(
            reviewer305, AttachmentKind.OBJECTION, spot_check, ef.upload("c.pdf", ef.pdf_bytes("c"))
        )
    assert "最终结论" in final.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        attachment_services.attachment_delete(actor=reviewer305, attachment=objection)
    assert Attachment.objects.filter(kind=AttachmentKind.OBJECTION).count() == 2


def test_objection_with_a_refused_file_stores_nothing(
    finance_reviewer, finance2, reviewer305, evidence_storage
):
    spot_check = publish(
        rescored(draw_pension(finance_reviewer), finance_reviewer), finance_reviewer, finance2
    )
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_object(
            actor=reviewer305,
            spot_check=spot_check,
            reason="有异议",
            files=[
                ef.upload("说明.pdf", ef.pdf_bytes()),
                ef.upload("程序.pdf", ef.installer_bytes()),
            ],
        )
    assert "files[1]" in refused.value.message_dict
    spot_check.refresh_from_db()
    assert spot_check.outcome == SpotCheckOutcome.PUBLISHED and spot_check.objected_at is None
    assert not Attachment.objects.exists()
    assert ef.stored_files(evidence_storage) == []
