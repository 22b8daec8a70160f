"""A type's name in the path is called `segment` everywhere, as in the API and the
dashboard: Record, PropertyDefinition and ImportJob's `object_type` become `segment`.

Renaming a column renames it inside the indexes and constraints built on it too
(SQLite since 3.25, PostgreSQL), so the database does the three renames only; the
rest updates Django's record of those indexes and that constraint to the new field
name without rebuilding them (a rebuild takes minutes at a million records).
"""

import django.db.models.functions.text
import prism_sandbox.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('prism_sandbox', '0002_import_job'),
    ]

    operations = [
        migrations.RenameField(
            model_name='importjob',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.RenameField(
            model_name='propertydefinition',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.RenameField(
            model_name='record',
            old_name='object_type',
            new_name='segment',
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterModelOptions(
                    name='propertydefinition',
                    options={'ordering': ['team', 'segment', 'position']},
                ),
                migrations.RemoveConstraint(
                    model_name='propertydefinition',
                    name='sandbox_property_unique_slug',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_default_order',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_deleted',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_updated',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_amount',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_assignee',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_attendee',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_close_date',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_contact',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_deal',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_domain',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_due_date',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_email',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_employees',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_first_name',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_industry',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_last_name',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_name',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_organization',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_owner',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_score',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_stage',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_starts_at',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_status',
                ),
                migrations.RemoveIndex(
                    model_name='record',
                    name='rec_p_title',
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_default_order'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), models.F('deleted_at'), name='rec_deleted'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), models.F('updated_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_updated'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('amount', numeric=True), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_amount'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('assignee', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_assignee'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('attendee', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_attendee'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('close_date', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_close_date'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('contact', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_contact'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('deal', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_deal'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), django.db.models.functions.text.Lower(prism_sandbox.expressions.PropValue('domain')), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_domain'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('due_date', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_due_date'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), django.db.models.functions.text.Lower(prism_sandbox.expressions.PropValue('email')), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_email'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('employees', numeric=True), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_employees'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), django.db.models.functions.text.Lower(prism_sandbox.expressions.PropValue('first_name')), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_first_name'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('industry', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_industry'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), django.db.models.functions.text.Lower(prism_sandbox.expressions.PropValue('last_name')), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_last_name'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), django.db.models.functions.text.Lower(prism_sandbox.expressions.PropValue('name')), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_name'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('organization', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_organization'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('owner', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_owner'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('score', numeric=True), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_score'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('stage', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_stage'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('starts_at', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_starts_at'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), prism_sandbox.expressions.PropValue('status', numeric=False), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_status'),
                ),
                migrations.AddIndex(
                    model_name='record',
                    index=models.Index(models.F('team'), models.F('segment'), django.db.models.functions.text.Lower(prism_sandbox.expressions.PropValue('title')), models.F('created_at'), models.F('id'), condition=models.Q(('deleted_at__isnull', True)), name='rec_p_title'),
                ),
                migrations.AddConstraint(
                    model_name='propertydefinition',
                    constraint=models.UniqueConstraint(fields=('team', 'segment', 'slug'), name='sandbox_property_unique_slug'),
                ),
            ],
        ),
    ]
